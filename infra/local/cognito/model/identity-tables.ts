import type { LocalDatabase } from '../../persistence/local-database.ts';

/**
 * The Cognito tables. A login row ties one developer user of a pool to one identity (unique per
 * pool and user, which is also the lookup index); its `login_order` keeps an identity's users in
 * the order they were linked, as LookupDeveloperIdentity lists them.
 */
export function createIdentityTables(database: LocalDatabase): void {
  database.exec(`
    CREATE TABLE IF NOT EXISTS cognito_pools (
      identity_pool_id TEXT PRIMARY KEY,
      pool_json TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS cognito_identities (
      identity_id TEXT PRIMARY KEY,
      identity_pool_id TEXT NOT NULL,
      authenticated INTEGER NOT NULL,
      creation_date TEXT NOT NULL,
      last_modified_date TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS cognito_logins (
      login_order INTEGER PRIMARY KEY,
      identity_pool_id TEXT NOT NULL,
      developer_user_identifier TEXT NOT NULL,
      identity_id TEXT NOT NULL REFERENCES cognito_identities (identity_id),
      UNIQUE (identity_pool_id, developer_user_identifier)
    );
    CREATE INDEX IF NOT EXISTS cognito_logins_by_identity ON cognito_logins (identity_id, login_order);
  `);
}

/** Every statement the identity store runs per request, by what it does (exported so a test can check each one's query plan). */
export const IDENTITY_STATEMENTS = {
  identity: 'SELECT identity_id, identity_pool_id, authenticated, creation_date, last_modified_date FROM cognito_identities WHERE identity_id = ?',
  usersOfIdentity: 'SELECT developer_user_identifier FROM cognito_logins WHERE identity_id = ? ORDER BY login_order',
  identityOfUser: 'SELECT identity_id FROM cognito_logins WHERE identity_pool_id = ? AND developer_user_identifier = ?',
  insertIdentity:
    'INSERT INTO cognito_identities (identity_id, identity_pool_id, authenticated, creation_date, last_modified_date) VALUES (?, ?, ?, ?, ?)',
  updateIdentity: 'UPDATE cognito_identities SET authenticated = ?, last_modified_date = ? WHERE identity_id = ?',
  deleteIdentity: 'DELETE FROM cognito_identities WHERE identity_id = ?',
  insertLogin: 'INSERT INTO cognito_logins (identity_pool_id, developer_user_identifier, identity_id) VALUES (?, ?, ?)',
  deleteLogin: 'DELETE FROM cognito_logins WHERE identity_pool_id = ? AND developer_user_identifier = ?',
  deleteLoginsOfIdentity: 'DELETE FROM cognito_logins WHERE identity_id = ?',
} as const;
