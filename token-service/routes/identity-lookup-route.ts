import type { Hono } from 'hono';
import { isValidUserId, USER_ID_RULE } from '../authenticators/authenticator.ts';
import type { CognitoTokenIssuer } from '../cognito/cognito-token-issuer.ts';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { InvalidRequestError, LookupDisabledError, NotFoundError } from '../http/token-service-errors.ts';
import { limitBody, readJsonBody, stringFields } from '../http/token-service-request-body.ts';
import type { SessionGate } from './session-gate.ts';

/** Who may look up another user's identity id: any signed-in session, or nobody. */
export type IdentityLookupAccess = 'signed-in' | 'off';
export const IDENTITY_LOOKUP_ACCESS: readonly IdentityLookupAccess[] = ['signed-in', 'off'];
export const DEFAULT_IDENTITY_LOOKUP_ACCESS: IdentityLookupAccess = 'signed-in';

interface IdentityLookupDependencies {
  access: IdentityLookupAccess;
  authenticateSession: SessionGate;
  issuer: CognitoTokenIssuer;
  maxBodyBytes: number;
}

/**
 * `POST /v1/identities/lookup` `{ "userId" }`: the identity id of one app user, so a signed-in user
 * can open a friend's protected folder knowing only the friend's user id. Exactly one user per
 * request, matched whole by Cognito (no prefixes, patterns or lists), under the caller's rate limit;
 * it never creates an identity, so a user who never signed in answers the same 404 as one who does
 * not exist.
 */
export function mountIdentityLookupRoute(app: Hono<TokenServiceEnv>, dependencies: IdentityLookupDependencies): void {
  app.post('/v1/identities/lookup', limitBody(dependencies.maxBodyBytes), async (c) => {
    if (dependencies.access === 'off') throw new LookupDisabledError('Looking up identities is turned off in this deployment.');
    await dependencies.authenticateSession(c);
    const userId = requestedUserId(await readJsonBody(c.req.raw));
    const identityId = await dependencies.issuer.identityOfUser(userId);
    if (identityId === undefined) throw new NotFoundError('No identity is linked to that user id.');
    return c.json({ userId, identityId }, 200, { 'cache-control': 'no-store' });
  });
}

function requestedUserId(body: unknown): string {
  const { userId } = stringFields(body, ['userId']);
  if (userId === undefined) throw new InvalidRequestError('Send {"userId": "<app user id>"}: the user whose identity id to look up.');
  if (!isValidUserId(userId)) throw new InvalidRequestError(`"userId" must be a user id of ${USER_ID_RULE}.`);
  return userId;
}
