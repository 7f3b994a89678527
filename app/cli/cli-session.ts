import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { IdentityCredentialsSnapshot } from '../library/index.ts';
import { readJsonFileOrEmpty, writePrivateJsonFile } from '../library/node/private-json-file.ts';

/**
 * What the CLI remembers between commands: an app session token for a signed-in user, or the
 * identity id of a guest (the guest's files live under it; `login --user` later links it to the user).
 * `credentials` are the temporary AWS credentials (and OpenID token) of that session, reused by the
 * next command until they are due for refresh; a new login writes a session without them.
 * `abandonedGuestIdentityId`: a guest identity a user login could not take over (the user had an
 * identity already); `login --guest` resumes it, so its files can still be reached.
 */
export type CliSession =
  | { kind: 'user'; sessionToken: string; user?: string; signedInAt: string; abandonedGuestIdentityId?: string; credentials?: IdentityCredentialsSnapshot; credentialsFor?: string }
  | { kind: 'guest'; guestIdentityId: string; signedInAt: string; credentials?: IdentityCredentialsSnapshot };

/** Where the CLI keeps the app session: a user-only file, overridable for scripts and tests. */
export function defaultCliStateDirectory(): string {
  return process.env.SCOPED_STORAGE_HOME ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'scoped-storage');
}

const text = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const date = (value: unknown): Date | undefined => {
  const parsed = typeof value === 'string' ? new Date(value) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
};

/** Saved credentials as JSON gives them back (dates as text); anything malformed is no credentials. */
function storedCredentials(value: unknown): IdentityCredentialsSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { credentials, issuedAt, token } = value as Record<string, Record<string, unknown> | undefined>;
  const expiration = date(credentials?.expiration);
  const issued = date(issuedAt);
  if (!credentials || !expiration || !issued || !text(credentials.identityId) || !text(credentials.accessKeyId) || !text(credentials.secretAccessKey) || !text(credentials.sessionToken)) return undefined;
  const snapshot: IdentityCredentialsSnapshot = {
    credentials: { identityId: credentials.identityId, accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, expiration },
    issuedAt: issued,
  };
  if (token === undefined) return snapshot;
  const tokenExpiresAt = date(token.expiresAt);
  const tags = token.principalTags;
  if (!tokenExpiresAt || !text(token.identityId) || !text(token.token) || typeof tags !== 'object' || tags === null) return undefined;
  if (!Object.values(tags).every((tag) => typeof tag === 'string')) return undefined;
  return { ...snapshot, token: { identityId: token.identityId, token: token.token, expiresAt: tokenExpiresAt, principalTags: tags as Record<string, string> } };
}

export async function readCliSession(stateDirectory: string): Promise<CliSession | undefined> {
  const stored = await readJsonFileOrEmpty<Record<string, unknown>>(join(stateDirectory, 'session.json'));
  const signedInAt = typeof stored.signedInAt === 'string' ? stored.signedInAt : '';
  const credentials = storedCredentials(stored.credentials);
  const saved = credentials ? { credentials } : {};
  // Sessions written before guests existed have no kind: a session token makes them a user's.
  if (typeof stored.sessionToken === 'string') {
    return {
      kind: 'user',
      sessionToken: stored.sessionToken,
      user: typeof stored.user === 'string' ? stored.user : undefined,
      signedInAt,
      ...(text(stored.abandonedGuestIdentityId) ? { abandonedGuestIdentityId: stored.abandonedGuestIdentityId } : {}),
      ...(credentials && text(stored.credentialsFor) ? { credentials, credentialsFor: stored.credentialsFor } : {}),
    };
  }
  if (stored.kind === 'guest' && typeof stored.guestIdentityId === 'string') return { kind: 'guest', guestIdentityId: stored.guestIdentityId, signedInAt, ...saved };
  return undefined;
}

export async function writeCliSession(stateDirectory: string, session: CliSession): Promise<void> {
  await writePrivateJsonFile(join(stateDirectory, 'session.json'), session);
}

/** Which session token credentials were issued for, without keeping a second copy of the token. */
export function sessionTokenFingerprint(sessionToken: string): string {
  return createHash('sha256').update(sessionToken).digest('base64url');
}

/** Whether saved credentials are this session's: a user's came with its token, a guest's are its identity's. */
export function credentialsBelongTo(session: CliSession, sessionToken: string | undefined, snapshot: IdentityCredentialsSnapshot): boolean {
  if (session.kind === 'user') return sessionToken === session.sessionToken && snapshot.token !== undefined;
  return sessionToken === undefined && snapshot.token === undefined && snapshot.credentials.identityId === session.guestIdentityId;
}

/** The credentials saved with a session, for the session as it is now (a session token replaced since leaves them unused). */
export function savedCredentials(session: CliSession): IdentityCredentialsSnapshot | undefined {
  if (session.kind === 'guest') return session.credentials;
  return session.credentialsFor === sessionTokenFingerprint(session.sessionToken) ? session.credentials : undefined;
}

/** The session with credentials issued for it. */
export function withCredentials(session: CliSession, snapshot: IdentityCredentialsSnapshot): CliSession {
  return session.kind === 'user' ? { ...session, credentials: snapshot, credentialsFor: sessionTokenFingerprint(session.sessionToken) } : { ...session, credentials: snapshot };
}
