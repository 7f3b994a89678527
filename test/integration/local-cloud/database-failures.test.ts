import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../../infra/local/local-cloud.ts';
import { LOCAL_DATABASE_FILE, LocalDatabaseUnavailableError } from '../../../infra/local/persistence/local-database.ts';

/** A database the local cloud cannot use stops the start with the file's path and what to do, never a bare SQLite message. */
describe('a database the local cloud cannot use', () => {
  const directories: string[] = [];
  afterEach(async () => {
    await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
  });

  async function stateDirectory(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'database-failures-'));
    directories.push(directory);
    return directory;
  }

  it('a file that is not a database names the file and says to restore it or move the data directory aside', async () => {
    const state = await stateDirectory();
    const databasePath = join(state, 'data', LOCAL_DATABASE_FILE);
    // Opening the data directory once creates it; then the database is overwritten with junk.
    const first = await startLocalCloud({ stateDirectory: state });
    await first.close();
    await writeFile(databasePath, Buffer.alloc(8192, 0x5a));
    const failure = await startLocalCloud({ stateDirectory: state }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LocalDatabaseUnavailableError);
    expect((failure as Error).message).toContain(databasePath);
    expect((failure as Error).message).toMatch(/file is not a database/);
    expect((failure as Error).message).toMatch(/restore it from a copy, or move the whole data directory aside/);
  });

  it('a truncated database is refused the same way, and the start can be retried once it is restored', async () => {
    const state = await stateDirectory();
    const databasePath = join(state, 'data', LOCAL_DATABASE_FILE);
    const first = await startLocalCloud({ stateDirectory: state });
    await first.close();
    const saved = await readFile(databasePath);
    await truncate(databasePath, 1000);
    const failure = await startLocalCloud({ stateDirectory: state }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LocalDatabaseUnavailableError);
    expect((failure as Error).message).toContain(databasePath);
    await writeFile(databasePath, saved);
    const again = await startLocalCloud({ stateDirectory: state });
    expect(again.outputs.bucket).toBeTruthy();
    await again.close();
  });
});
