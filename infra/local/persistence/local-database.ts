import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/** The local cloud's metadata database, inside its data directory. Object bytes stay in files beside it. */
export const LOCAL_DATABASE_FILE = 'local-cloud.sqlite';

export type LocalDatabase = DatabaseSync;

/** The database could not be opened or read at start-up: damaged, locked, unwritable, or the disk is full. */
export class LocalDatabaseUnavailableError extends Error {
  constructor(
    readonly path: string,
    readonly sqliteMessage: string,
  ) {
    super(`The local cloud's database ${path} cannot be used: ${sqliteMessage}. ${adviceFor(sqliteMessage)}`);
  }
}

/** Turns an SQLite failure at start-up into {@link LocalDatabaseUnavailableError}; any other error passes through. */
export function asLocalDatabaseUnavailable(error: unknown, dataDirectory: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_SQLITE_ERROR' || !(error instanceof Error)) return error;
  return new LocalDatabaseUnavailableError(join(dataDirectory, LOCAL_DATABASE_FILE), error.message);
}

function adviceFor(sqliteMessage: string): string {
  if (/locked|busy/i.test(sqliteMessage)) return 'Another process holds it: stop it (another local cloud, or a tool with the file open) and start again.';
  if (/readonly|unable to open/i.test(sqliteMessage)) return 'Check that the data directory exists and is writable by this user.';
  if (/disk I\/O|full/i.test(sqliteMessage)) return 'Check that the disk is not full and the file system is writable.';
  return 'It is damaged: restore it from a copy, or move the whole data directory aside to start empty (the object files need the database; keep them together).';
}

/**
 * Opens (creating it if needed) the local cloud's database. WAL lets readers run while a change
 * commits; `synchronous=NORMAL` makes a commit a WAL append without an fsync: a process crash loses
 * nothing committed, a power cut may lose the last commits but never leaves a torn database. Object
 * bytes are fsynced before the record that points at them commits, so no record ever points at
 * incomplete bytes either way.
 */
export function openLocalDatabase(dataDirectory: string): LocalDatabase {
  mkdirSync(dataDirectory, { recursive: true, mode: 0o700 });
  let database: DatabaseSync | undefined;
  try {
    // Loaded on first use, not at import: on Node 22 loading node:sqlite prints an ExperimentalWarning,
    // which must not come before an entry point's own Node version check.
    const { DatabaseSync: Database } = process.getBuiltinModule('node:sqlite');
    database = new Database(join(dataDirectory, LOCAL_DATABASE_FILE));
    configure(database);
    return database;
  } catch (error) {
    database?.close();
    throw asLocalDatabaseUnavailable(error, dataDirectory);
  }
}

function configure(database: DatabaseSync): void {
  database.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS local_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) WITHOUT ROWID;
  `);
}

/**
 * Runs `change` as one transaction: committed if it returns, rolled back if it throws. The work is
 * synchronous, so no other request's change can interleave with it. `BEGIN IMMEDIATE` takes the
 * write lock up front, so a second connection to the same file waits instead of failing mid-way.
 */
export function runInTransaction<Result>(database: LocalDatabase, change: () => Result): Result {
  database.exec('BEGIN IMMEDIATE');
  try {
    const result = change();
    database.exec('COMMIT');
    return result;
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    throw error;
  }
}

/** Whether a one-time migration (a schema step, an import of earlier JSON files) has been applied. */
export function hasMigrated(database: LocalDatabase, name: string): boolean {
  return database.prepare('SELECT 1 FROM local_migrations WHERE name = ?').get(name) !== undefined;
}

/** Records a migration as applied; call it inside the transaction that applies it. */
export function recordMigration(database: LocalDatabase, name: string): void {
  database.prepare('INSERT INTO local_migrations (name, applied_at) VALUES (?, ?)').run(name, new Date().toISOString());
}

/** A store's database connection: the shared one it was given, or its own, which {@link StoreConnection.close} closes. */
export interface StoreConnection {
  database: LocalDatabase;
  /** Closes the connection if the store opened it; a shared one stays open for its owner to close. */
  close(): void;
}

/**
 * Opens a store on the shared connection when one is given, otherwise on a connection of its own
 * to `<dataDirectory>/local-cloud.sqlite`; if opening the store fails, its own connection is closed again.
 */
export async function openStoreConnection<Store>(
  options: { dataDirectory: string; database?: LocalDatabase },
  openStore: (connection: StoreConnection) => Promise<Store>,
): Promise<Store> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? openLocalDatabase(options.dataDirectory);
  const connection: StoreConnection = {
    database,
    close: () => {
      if (ownsDatabase && database.isOpen) database.close();
    },
  };
  try {
    return await openStore(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
}
