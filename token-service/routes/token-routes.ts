import type { Hono } from 'hono';
import type { CognitoTokenIssuer } from '../cognito/cognito-token-issuer.ts';
import type { GuestLinkProofVerifier } from '../cognito/guest-link-proof.ts';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../http/token-service-errors.ts';
import { limitBody, readJsonBody, stringFields } from '../http/token-service-request-body.ts';
import { principalTagsFromClaims, type ClaimToTagMap } from '../tokens/principal-tags.ts';
import type { IssuedToken, TokenCache } from '../tokens/token-cache.ts';
import type { SessionGate } from './session-gate.ts';

/** `region:uuid`, as Cognito names identities. */
const IDENTITY_ID = /^[\w-]{1,50}:[0-9a-f-]{1,64}$/;
const MAX_GUEST_TOKEN_LENGTH = 8192;

interface TokenRoutesDependencies {
  authenticateSession: SessionGate;
  issuer: CognitoTokenIssuer;
  cache: TokenCache;
  claimToTag: ClaimToTagMap;
  verifyGuestLinkProof: GuestLinkProofVerifier;
  maxBodyBytes: number;
}

/** `POST /v1/token` (optionally taking over the caller's guest identity; the same answer either way) and `DELETE /v1/identity`. */
export function mountTokenRoutes(app: Hono<TokenServiceEnv>, dependencies: TokenRoutesDependencies): void {
  const { authenticateSession, issuer, cache } = dependencies;

  app.post('/v1/token', limitBody(dependencies.maxBodyBytes), async (c) => {
    const session = await authenticateSession(c);
    const guest = guestOf(await readJsonBody(c.req.raw));
    const tags = principalTagsFromClaims(session.claims, dependencies.claimToTag);
    const issued = guest
      ? await linkGuestIdentity(dependencies, session.userId, tags, guest)
      : await cache.getOrLoad(session.userId, tags, () => issuer.issueToken(session.userId, tags));
    // principalTags: what this session's prefixes such as tenants/{tag:tenant}/ resolve with ({} when none).
    return c.json({ identityId: issued.identityId, token: issued.token, expiresAt: issued.expiresAt.toISOString(), principalTags: tags }, 200, { 'cache-control': 'no-store' });
  });

  app.delete('/v1/identity', async (c) => {
    const session = await authenticateSession(c);
    const identityId = await issuer.unlinkUser(session.userId);
    cache.invalidateUser(session.userId);
    if (identityId === undefined) throw new NotFoundError('No identity is linked to this user.');
    return c.json({ identityId, unlinked: true }, 200, { 'cache-control': 'no-store' });
  });
}

interface GuestClaim {
  guestIdentityId: string;
  guestToken: string;
}

function guestOf(body: unknown): GuestClaim | undefined {
  const { guestIdentityId, guestToken } = stringFields(body, ['guestIdentityId', 'guestToken']);
  if (guestIdentityId === undefined && guestToken === undefined) return undefined;
  if (guestIdentityId === undefined || guestToken === undefined) {
    throw new InvalidRequestError('guestIdentityId and guestToken go together: the token proves the guest identity is yours.');
  }
  if (!IDENTITY_ID.test(guestIdentityId)) throw new InvalidRequestError('guestIdentityId is not a Cognito identity id (region:uuid).');
  if (guestToken.length === 0 || guestToken.length > MAX_GUEST_TOKEN_LENGTH) throw new InvalidRequestError('guestToken is not a Cognito OpenID token.');
  return { guestIdentityId, guestToken };
}

/**
 * Takes over a guest identity for the signed-in user, so the files the guest made stay theirs.
 * Only with proof of possession, and only when neither side is linked elsewhere: passing a
 * client-named identity id to Cognito unchecked would let anyone claim anyone's identity.
 */
async function linkGuestIdentity(
  dependencies: TokenRoutesDependencies,
  userId: string,
  tags: Record<string, string>,
  guest: GuestClaim,
): Promise<IssuedToken> {
  const { issuer, cache } = dependencies;
  await dependencies.verifyGuestLinkProof(guest.guestIdentityId, guest.guestToken);
  const currentIdentity = await issuer.identityOfUser(userId);
  if (currentIdentity !== undefined && currentIdentity !== guest.guestIdentityId) {
    throw new ConflictError('This user already has an identity; a guest identity can be taken over only by a user without one.');
  }
  if (currentIdentity === undefined) {
    const owners = await issuer.usersOfIdentity(guest.guestIdentityId);
    if (owners.length > 0) throw new ConflictError('That guest identity already belongs to a signed-in user.');
  }
  const issued = await issuer.issueToken(userId, tags, guest.guestIdentityId);
  cache.invalidateUser(userId);
  return issued;
}
