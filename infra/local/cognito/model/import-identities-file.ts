import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../../persistence/atomic-file.ts';
import { hasMigrated, recordMigration, runInTransaction, type LocalDatabase } from '../../persistence/local-database.ts';
import type { IdentityPool } from './identity-pool.ts';

/** The whole-state file earlier versions rewrote after every change. */
interface IdentitiesFile {
  pools?: IdentityPool[];
  identities?: {
    identityId: string;
    identityPoolId: string;
    developerUserIdentifiers: string[];
    authenticated: boolean;
    creationDate: string;
    lastModifiedDate: string;
  }[];
}

const MIGRATION = 'cognito: import cognito/identities.json';

export function identitiesFilePath(dataDirectory: string): string {
  return join(dataDirectory, 'cognito', 'identities.json');
}

/**
 * Imports `<dataDirectory>/cognito/identities.json` once, in one transaction with its migration
 * record, then removes the file (also when a crash came between the commit and the removal).
 * A developer user the file lists under two identities goes to the later one, as the earlier
 * version's index did.
 */
export async function importIdentitiesFile(database: LocalDatabase, dataDirectory: string): Promise<void> {
  const path = identitiesFilePath(dataDirectory);
  if (hasMigrated(database, MIGRATION)) {
    await rm(path, { force: true });
    return;
  }
  const stored = await readJsonFile<IdentitiesFile>(path);
  runInTransaction(database, () => {
    const insertPool = database.prepare('INSERT OR REPLACE INTO cognito_pools (identity_pool_id, pool_json) VALUES (?, ?)');
    const insertIdentity = database.prepare(
      'INSERT OR REPLACE INTO cognito_identities (identity_id, identity_pool_id, authenticated, creation_date, last_modified_date) VALUES (?, ?, ?, ?, ?)',
    );
    const insertLogin = database.prepare(
      'INSERT OR REPLACE INTO cognito_logins (identity_pool_id, developer_user_identifier, identity_id) VALUES (?, ?, ?)',
    );
    for (const pool of stored?.pools ?? []) insertPool.run(pool.identityPoolId, JSON.stringify(pool));
    for (const identity of stored?.identities ?? []) {
      insertIdentity.run(identity.identityId, identity.identityPoolId, identity.authenticated ? 1 : 0, identity.creationDate, identity.lastModifiedDate);
      for (const user of identity.developerUserIdentifiers) insertLogin.run(identity.identityPoolId, user, identity.identityId);
    }
    recordMigration(database, MIGRATION);
  });
  if (stored !== undefined) await rm(path, { force: true });
}
