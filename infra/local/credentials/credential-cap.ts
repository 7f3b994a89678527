import { runInTransaction, type LocalDatabase } from '../persistence/local-database.ts';

const CAP_SETTING = 'max_credentials_per_identity';

/**
 * Records the per-identity cap the store runs with. Each issue holds its own identity to the cap,
 * so the stored sets obey the cap they were issued under; only when the store is opened with a
 * smaller cap than before do identities hold too many, and then (only then) one statement trims
 * every identity to its newest sets, so the cap is exact from the first lookup on.
 */
export function applyCredentialCap(database: LocalDatabase, maxPerIdentity: number): void {
  const stored = database.prepare('SELECT value FROM credentials_settings WHERE name = ?').get(CAP_SETTING) as { value: number } | undefined;
  if (stored?.value === maxPerIdentity) return;
  runInTransaction(database, () => {
    if (stored !== undefined && stored.value > maxPerIdentity) {
      database
        .prepare(
          `DELETE FROM credentials_issued WHERE issue_order IN (
            SELECT issue_order FROM (
              SELECT issue_order, row_number() OVER (PARTITION BY identity_id ORDER BY issue_order DESC) AS newer_or_same
              FROM credentials_issued WHERE identity_id IS NOT NULL
            ) WHERE newer_or_same > ?
          )`,
        )
        .run(maxPerIdentity);
    }
    database.prepare('INSERT OR REPLACE INTO credentials_settings (name, value) VALUES (?, ?)').run(CAP_SETTING, maxPerIdentity);
  });
}
