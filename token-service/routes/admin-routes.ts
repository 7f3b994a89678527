import type { Hono } from 'hono';
import { isValidUserId, USER_ID_RULE } from '../authenticators/authenticator.ts';
import type { CognitoTokenIssuer } from '../cognito/cognito-token-issuer.ts';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { ForbiddenError, InvalidRequestError, NotFoundError } from '../http/token-service-errors.ts';
import type { AdminAuthorizer } from './admin-authorization.ts';

const IDENTITY_LOOKUP_PATH = '/v1/admin/identities/:appUserId';

/** `GET /v1/admin/identities/{appUserId}`: the app's own backends find a user's identity id (e.g. to write into their prefix). */
export function mountAdminRoutes(app: Hono<TokenServiceEnv>, dependencies: { authorizeAdmin: AdminAuthorizer; issuer: CognitoTokenIssuer }): void {
  app.get(IDENTITY_LOOKUP_PATH, async (c) => {
    if (!(await dependencies.authorizeAdmin(c.req.raw, c.env ?? {}))) throw new ForbiddenError('This route is for the app\'s own backends and needs admin authorization.');
    const appUserId = c.req.param('appUserId');
    if (!isValidUserId(appUserId)) throw new InvalidRequestError(`appUserId is not a valid user id (${USER_ID_RULE}).`);
    const identityId = await dependencies.issuer.identityOfUser(appUserId);
    if (identityId === undefined) throw new NotFoundError('No identity is linked to that user.');
    return c.json({ identityId }, 200, { 'cache-control': 'no-store' });
  });
}
