import { InvalidArgumentError, type Command } from 'commander';
import { StorageError } from '../../library/index.ts';
import { readStorageOutputsFile } from '../../library/node/create-node-storage-client.ts';
import type { CliContext } from '../cli-context.ts';
import { readCliSession, writeCliSession, type CliSession } from '../cli-session.ts';
import { formatRemotePath } from '../location-path.ts';

interface LoginOptions {
  user?: string;
  tenant?: string;
  token?: string;
  guest?: boolean;
}

/** The local cloud's development sign-in: the token service issues a session for any user name. */
async function developmentSession(context: CliContext, user: string, tenant: string | undefined): Promise<string> {
  const outputs = await readStorageOutputsFile(context.outputsPath());
  const response = await fetch(`${outputs.tokenServiceUrl}/v1/dev/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...(tenant ? { tenant } : {}) }),
  }).catch((error: unknown) => {
    throw new StorageError('Network', `Could not reach the token service at ${outputs.tokenServiceUrl}; is "npm start" running?`, { cause: error });
  });
  const body = (await response.json().catch(() => ({}))) as { sessionToken?: string; error?: { message?: string } };
  if (!response.ok || !body.sessionToken) throw new StorageError('SignInRequired', `Sign-in refused: ${body.error?.message ?? `HTTP ${response.status}`}`);
  return body.sessionToken;
}

/**
 * A guest session. A guest signed in before is resumed rather than left behind with its files, and
 * so is a guest identity an earlier `login --user` could not take over (the user had one already).
 */
async function loginAsGuest(context: CliContext): Promise<void> {
  const previous = await readCliSession(context.homeDirectory());
  const resumedIdentityId = previous?.kind === 'guest' ? previous.guestIdentityId : previous?.abandonedGuestIdentityId;
  const client = await context.openClient(
    resumedIdentityId === undefined ? { kind: 'new-guest' } : { kind: 'guest', guestIdentityId: resumedIdentityId, signedInAt: '', ...(previous?.kind === 'guest' && previous.credentials ? { credentials: previous.credentials } : {}) },
  );
  const identity = await client.whoami();
  const resumed = resumedIdentityId !== undefined;
  await writeCliSession(context.homeDirectory(), { kind: 'guest', guestIdentityId: identity.identityId, signedInAt: new Date().toISOString() });
  context.print(
    `Signed in as a guest${resumed ? ' again' : ''}: identity ${identity.identityId}\n(your files stay with this identity; "scoped-storage login --user <name>" later keeps them, unless that user has an identity already)`,
    { signedIn: true, guest: true, resumed, identityId: identity.identityId },
  );
}

/** The way back to a guest's files when the user's own identity could not take them over. */
function guestNotLinkedWarning(guestIdentityId: string, user: string | undefined, identityId: string): string {
  const who = user ? `the user ${user}` : 'this user';
  return [
    `warning: the guest session's files were NOT moved to ${who}: ${who} has an identity already (${identityId}), and the guest identity cannot be merged into it.`,
    `warning: they stay with the guest identity ${guestIdentityId}. To reach them, run "scoped-storage login --guest" (it resumes that guest identity),`,
    `warning: copy what you need out with cp (e.g. scoped-storage cp private:<file> ./), then sign in as the user again.`,
  ].join('\n');
}

/**
 * Signs a user in. After a guest session the guest identity is linked to the user (the library's
 * signIn proves possession of it), so the guest's files become the user's; when the user has an
 * identity already the guest's files stay with the guest identity, which is remembered so that
 * `login --guest` gets back to them.
 */
async function loginAsUser(context: CliContext, options: LoginOptions): Promise<void> {
  const sessionToken = options.token ?? (await developmentSession(context, options.user!, options.tenant));
  const home = context.homeDirectory();
  const previous = await readCliSession(home);
  let linkedGuestIdentityId: string | undefined;
  let abandonedGuestIdentityId = previous?.kind === 'user' ? previous.abandonedGuestIdentityId : undefined;
  if (previous?.kind === 'guest') {
    const guest = await context.openClient(previous);
    const result = await guest.signIn(() => sessionToken);
    if (result.guestLinked) linkedGuestIdentityId = previous.guestIdentityId;
    else abandonedGuestIdentityId = result.abandonedGuestIdentityId ?? previous.guestIdentityId;
  }
  const session: CliSession = {
    kind: 'user',
    sessionToken,
    user: options.user,
    signedInAt: new Date().toISOString(),
    ...(abandonedGuestIdentityId ? { abandonedGuestIdentityId } : {}),
  };
  await writeCliSession(home, session);
  const identity = await (await context.openClient(session)).whoami();
  const notLinked = previous?.kind === 'guest' && linkedGuestIdentityId === undefined;
  if (notLinked) process.stderr.write(`${guestNotLinkedWarning(previous.guestIdentityId, options.user, identity.identityId)}\n`);
  const linked = linkedGuestIdentityId ? `\nthe guest session's files (identity ${linkedGuestIdentityId}) are kept` : '';
  context.print(`Signed in${options.user ? ` as ${options.user}` : ''}: identity ${identity.identityId}${linked}`, {
    signedIn: true,
    user: options.user,
    identityId: identity.identityId,
    ...(linkedGuestIdentityId ? { guestLinked: true, linkedGuestIdentityId } : {}),
    ...(notLinked ? { guestLinked: false, guestIdentityId: previous.guestIdentityId } : {}),
  });
}

export function addSessionCommands(program: Command, context: CliContext): void {
  program
    .command('login')
    .description('sign in: the local development sign-in (--user), an app session token (--token), or as a guest (--guest) where the deployment allows guests')
    .option('-u, --user <name>', 'user to sign in as (local cloud only)')
    .option('-t, --tenant <tenant>', 'tenant of the user (local cloud only)')
    .option('--token <sessionToken>', 'an app session token issued by your backend')
    .option('--guest', "a guest identity without an app session (resumes the last one); a later login --user keeps its files, unless that user has an identity already")
    .action(async (options: LoginOptions) => {
      if ([options.user, options.token, options.guest].filter(Boolean).length !== 1) throw new InvalidArgumentError('give exactly one of --user, --token or --guest.');
      if (options.guest) return loginAsGuest(context);
      return loginAsUser(context, options);
    });

  program
    .command('whoami')
    .description('show your identity id, whether it is a guest, your folder and when your credentials expire')
    .action(async () => {
      const identity = await (await context.openClient()).whoami();
      const tags = Object.entries(identity.principalTags ?? {}).map(([key, value]) => `${key}=${value}`);
      context.print(
        [
          `identity:    ${identity.identityId}${identity.isGuest ? ' (guest)' : ''}`,
          `folder:      ${identity.prefix}`,
          ...(tags.length > 0 ? [`tags:        ${tags.join(', ')}`] : []),
          `credentials: valid until ${identity.credentialsExpireAt.toISOString()}`,
        ].join('\n'),
        {
          identityId: identity.identityId,
          isGuest: identity.isGuest,
          principalTags: identity.principalTags,
          prefix: identity.prefix,
          credentialsExpireAt: identity.credentialsExpireAt.toISOString(),
        },
      );
    });

  program
    .command('lookup')
    .description("find another user's identity id by their app user id, to open their protected folder")
    .argument('<userId>', "the other user's app user id")
    .action(async (userId: string) => {
      const found = await (await context.openClient()).lookupIdentity(userId);
      const protectedLocation = (await context.locations()).find((location) => location.kind === 'protected');
      const hint = protectedLocation ? `\n(their files: ${formatRemotePath(protectedLocation.name, `${found.identityId}/`)})` : '';
      context.print(`${found.identityId}${hint}`, { userId: found.userId, identityId: found.identityId });
    });
}
