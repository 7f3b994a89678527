import { homedir } from 'node:os';
import { join } from 'node:path';
import { readJsonFileOrEmpty, writePrivateJsonFile } from '../library/node/private-json-file.ts';

export interface CliSession {
  sessionToken: string;
  user?: string;
  signedInAt: string;
}

/** Where the CLI keeps the app session: a user-only file, overridable for scripts and tests. */
export function defaultCliStateDirectory(): string {
  return process.env.SCOPED_STORAGE_HOME ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'scoped-storage');
}

export async function readCliSession(stateDirectory: string): Promise<CliSession | undefined> {
  const session = await readJsonFileOrEmpty<Partial<CliSession>>(join(stateDirectory, 'session.json'));
  return typeof session.sessionToken === 'string' ? (session as CliSession) : undefined;
}

export async function writeCliSession(stateDirectory: string, session: CliSession): Promise<void> {
  await writePrivateJsonFile(join(stateDirectory, 'session.json'), session);
}
