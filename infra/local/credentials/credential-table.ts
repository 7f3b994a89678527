import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '../persistence/local-database.ts';
import type { IssuedCredentials } from './issued-credentials.ts';

/** One issued credential set as stored. */
export interface CredentialRecord {
  credentials: IssuedCredentials;
  /** The Cognito identity they were issued to; counts against its cap. */
  identityId?: string;
  /** The name static credentials were issued under. */
  staticName?: string;
}

/** A stored credential set with the expiry it is swept by. */
export interface StoredCredentials {
  credentials: IssuedCredentials;
  expirationMs: number;
}

/**
 * Creates the `credentials_` tables. `issue_order` (the rowid, so a lookup by access key id is one
 * unique-index probe) orders an identity's sets oldest first for the cap; the expiry index serves
 * the sweep; a static name belongs to at most one set, its newest.
 */
export function createCredentialTables(database: LocalDatabase): void {
  database.exec(`
    CREATE TABLE IF NOT EXISTS credentials_issued (
      issue_order INTEGER PRIMARY KEY,
      access_key_id TEXT NOT NULL UNIQUE,
      identity_id TEXT,
      static_name TEXT,
      expiration_ms INTEGER NOT NULL,
      credentials_json TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS credentials_issued_by_identity ON credentials_issued (identity_id, issue_order);
    CREATE INDEX IF NOT EXISTS credentials_issued_by_expiry ON credentials_issued (expiration_ms);
    CREATE UNIQUE INDEX IF NOT EXISTS credentials_issued_by_static_name ON credentials_issued (static_name) WHERE static_name IS NOT NULL;
    CREATE TABLE IF NOT EXISTS credentials_settings (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  `);
}

/** Every statement the store runs per request, by what it does (exported so a test can check each one's query plan). */
export const CREDENTIAL_STATEMENTS = {
  find: 'SELECT credentials_json, expiration_ms FROM credentials_issued WHERE access_key_id = ?',
  findStatic: 'SELECT credentials_json, expiration_ms FROM credentials_issued WHERE static_name = ?',
  releaseStaticName: 'UPDATE credentials_issued SET static_name = NULL WHERE static_name = ?',
  // A set issued again under the same access key (only ever by an import) becomes the newest.
  insert: 'INSERT OR REPLACE INTO credentials_issued (access_key_id, identity_id, static_name, expiration_ms, credentials_json) VALUES (?, ?, ?, ?, ?)',
  evictBeyondCap: `DELETE FROM credentials_issued WHERE issue_order IN (
      SELECT issue_order FROM credentials_issued WHERE identity_id = ? ORDER BY issue_order DESC LIMIT -1 OFFSET ?
    )`,
  remove: 'DELETE FROM credentials_issued WHERE access_key_id = ?',
  sweep: 'DELETE FROM credentials_issued WHERE expiration_ms < ?',
} as const;

/** The statements over `credentials_issued`; callers run the changes inside their transaction. */
export class CredentialTable {
  private readonly statements: Record<keyof typeof CREDENTIAL_STATEMENTS, StatementSync>;

  constructor(database: LocalDatabase) {
    this.statements = Object.fromEntries(Object.entries(CREDENTIAL_STATEMENTS).map(([name, sql]) => [name, database.prepare(sql)])) as Record<
      keyof typeof CREDENTIAL_STATEMENTS,
      StatementSync
    >;
  }

  find(accessKeyId: string): StoredCredentials | undefined {
    return toStored(this.statements.find.get(accessKeyId));
  }

  findStatic(name: string): StoredCredentials | undefined {
    return toStored(this.statements.findStatic.get(name));
  }

  /** Stores a set (its static name moves to it) and evicts its identity's oldest sets beyond `maxPerIdentity`. */
  add(record: CredentialRecord, maxPerIdentity: number): void {
    const { credentials, identityId, staticName } = record;
    if (staticName !== undefined) this.statements.releaseStaticName.run(staticName);
    this.statements.insert.run(credentials.accessKeyId, identityId ?? null, staticName ?? null, Date.parse(credentials.expiration), JSON.stringify(credentials));
    if (identityId !== undefined) this.statements.evictBeyondCap.run(identityId, maxPerIdentity);
  }

  remove(accessKeyId: string): void {
    this.statements.remove.run(accessKeyId);
  }

  /** Deletes every set that expired before `expiredBeforeMs`. */
  sweep(expiredBeforeMs: number): void {
    this.statements.sweep.run(expiredBeforeMs);
  }
}

function toStored(row: unknown): StoredCredentials | undefined {
  if (row === undefined) return undefined;
  const { credentials_json, expiration_ms } = row as { credentials_json: string; expiration_ms: number };
  return { credentials: JSON.parse(credentials_json) as IssuedCredentials, expirationMs: expiration_ms };
}
