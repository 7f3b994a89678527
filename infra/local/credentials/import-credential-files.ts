import { readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../persistence/atomic-file.ts';
import { hasMigrated, recordMigration, runInTransaction, type LocalDatabase } from '../persistence/local-database.ts';
import type { CredentialRecord, CredentialTable } from './credential-table.ts';
import type { IssuedCredentials } from './issued-credentials.ts';

/** One line of the append-only log of earlier versions. */
interface LogLine extends CredentialRecord {
  /** Access key ids this issue evicted, so that replaying the log never brings them back. */
  evicted?: string[];
}

/** The whole-state file the versions before the log rewrote on every issue. */
interface WholeStateFile {
  credentials?: IssuedCredentials[];
  staticNames?: Record<string, string>;
}

const MIGRATION = 'credentials: import credentials/issued.json and issued.jsonl';

export function credentialFilePaths(dataDirectory: string): { directory: string; log: string; wholeState: string } {
  const directory = join(dataDirectory, 'credentials');
  return { directory, log: join(directory, 'issued.jsonl'), wholeState: join(directory, 'issued.json') };
}

/**
 * Imports the files of earlier versions once, replaying them as those versions did: the
 * whole-state file first, then the log in order (its evictions removed, each identity held to the
 * cap). A torn last line (a crash mid-append) is skipped. One transaction with the migration
 * record; then the files go (also when a crash came between the commit and their removal).
 */
export async function importCredentialFiles(database: LocalDatabase, table: CredentialTable, dataDirectory: string, maxPerIdentity: number): Promise<void> {
  const paths = credentialFilePaths(dataDirectory);
  if (!hasMigrated(database, MIGRATION)) {
    const wholeState = await readJsonFile<WholeStateFile>(paths.wholeState);
    const lines = parseLog(await readIfExists(paths.log));
    runInTransaction(database, () => {
      const namesByKey = new Map(Object.entries(wholeState?.staticNames ?? {}).map(([name, accessKeyId]) => [accessKeyId, name]));
      for (const credentials of wholeState?.credentials ?? []) {
        if (!isCredentials(credentials)) continue;
        const staticName = namesByKey.get(credentials.accessKeyId);
        table.add({ credentials, ...(staticName === undefined ? {} : { staticName }) }, maxPerIdentity);
      }
      for (const line of lines) {
        for (const accessKeyId of line.evicted ?? []) table.remove(accessKeyId);
        table.add(line, maxPerIdentity);
      }
      recordMigration(database, MIGRATION);
    });
  }
  await Promise.all([rm(paths.log, { force: true }), rm(paths.wholeState, { force: true })]);
  await rmdir(paths.directory).catch((error: NodeJS.ErrnoException) => {
    // The directory held only these files; one that is gone or holds something else stays as it is.
    if (error.code !== 'ENOENT' && error.code !== 'ENOTEMPTY') throw error;
  });
}

function parseLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const value = JSON.parse(line) as Partial<LogLine> | null;
      if (isCredentials(value?.credentials)) lines.push(value as LogLine);
    } catch {
      // A torn last line: the crash came before its issue was handed out.
    }
  }
  return lines;
}

function isCredentials(value: unknown): value is IssuedCredentials {
  const credentials = value as Partial<IssuedCredentials> | undefined | null;
  return typeof credentials?.accessKeyId === 'string' && typeof credentials.expiration === 'string' && !Number.isNaN(Date.parse(credentials.expiration));
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
