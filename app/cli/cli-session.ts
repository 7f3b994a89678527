import { homedir } from 'node:os';
import { join } from 'node:path';
import { readJsonFileOrEmpty, writePrivateJsonFile } from '../library/node/private-json-file.ts';

/**
 * What the CLI remembers between commands: an app session token for a signed-in user, or the
 * identity id of a guest (the guest's files live under it; `login --user` later links it to the user).
 */
export type CliSession =
  | { kind: 'user'; sessionToken: string; user?: string; signedInAt: string }
  | { kind: 'guest'; guestIdentityId: string; signedInAt: string };

/** Where the CLI keeps the app session: a user-only file, overridable for scripts and tests. */
export function defaultCliStateDirectory(): string {
  return process.env.SCOPED_STORAGE_HOME ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'scoped-storage');
}

export async function readCliSession(stateDirectory: string): Promise<CliSession | undefined> {
  const stored = await readJsonFileOrEmpty<Record<string, unknown>>(join(stateDirectory, 'session.json'));
  const signedInAt = typeof stored.signedInAt === 'string' ? stored.signedInAt : '';
  // Sessions written before guests existed have no kind: a session token makes them a user's.
  if (typeof stored.sessionToken === 'string') return { kind: 'user', sessionToken: stored.sessionToken, user: typeof stored.user === 'string' ? stored.user : undefined, signedInAt };
  if (stored.kind === 'guest' && typeof stored.guestIdentityId === 'string') return { kind: 'guest', guestIdentityId: stored.guestIdentityId, signedInAt };
  return undefined;
}

export async function writeCliSession(stateDirectory: string, session: CliSession): Promise<void> {
  await writePrivateJsonFile(join(stateDirectory, 'session.json'), session);
}
