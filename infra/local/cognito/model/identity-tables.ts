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
