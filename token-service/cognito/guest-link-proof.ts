import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isKeyFetchFailure } from '../authenticators/key-fetch-failure.ts';
import { ForbiddenError, UpstreamUnavailableError } from '../http/token-service-errors.ts';

export const COGNITO_OPENID_ISSUER = 'https://cognito-identity.amazonaws.com';
const COGNITO_OPENID_JWKS_URL = 'https://cognito-identity.amazonaws.com/.well-known/jwks_uri';
/** Cognito signs OpenID tokens with RS512; the RSA family is accepted, nothing symmetric. */
const GUEST_TOKEN_ALGORITHMS = ['RS512', 'RS384', 'RS256'];

interface GuestLinkProofOptions {
  identityPoolId: string;
  /** @default COGNITO_OPENID_JWKS_URL */
  jwksUrl?: string;
  /** @default COGNITO_OPENID_ISSUER */
  issuer?: string;
}

export type GuestLinkProofVerifier = (guestIdentityId: string, guestToken: string) => Promise<void>;

/**
 * Linking a login to an identity hands that identity (and its files) to the login, so a guest
 * identity is linked only for a caller who proves possession of it: a current OpenID token that
 * Cognito issued (GetOpenIdToken) to that very identity while it was still a guest.
 */
export function createGuestLinkProofVerifier(options: GuestLinkProofOptions): GuestLinkProofVerifier {
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl ?? COGNITO_OPENID_JWKS_URL));
  const issuer = options.issuer ?? COGNITO_OPENID_ISSUER;
  return async (guestIdentityId, guestToken) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(guestToken, keys, {
        algorithms: GUEST_TOKEN_ALGORITHMS,
        issuer,
        audience: options.identityPoolId,
        subject: guestIdentityId,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (isKeyFetchFailure(error)) throw new UpstreamUnavailableError('The guest token could not be checked right now; try again shortly.', 5, { cause: error });
      throw new ForbiddenError('guestToken is not a current Cognito token of that guest identity, so the identity cannot be linked.', { cause: error });
    }
    if (!Array.isArray(payload.amr) || !payload.amr.includes('unauthenticated')) {
      throw new ForbiddenError('guestToken is not a guest (unauthenticated) token, so the identity cannot be linked.');
    }
  };
}
