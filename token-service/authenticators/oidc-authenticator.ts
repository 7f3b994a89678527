import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { sessionFromClaims, type Authenticator } from './authenticator.ts';
import { sessionRejection } from './session-rejection.ts';

/** Asymmetric algorithms only: with a symmetric one, a public key could be used as an HMAC secret. */
export const DEFAULT_OIDC_ALGORITHMS = ['RS256', 'ES256'];
const ASYMMETRIC_ALGORITHM = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

export interface OidcAuthenticatorOptions {
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud`. */
  audience: string;
  /** Where the issuer publishes its public keys. */
  jwksUrl: string;
  /** @default DEFAULT_OIDC_ALGORITHMS */
  algorithms?: string[];
  /** Leeway for `exp`/`nbf`/`iat` between clocks. @default 30 */
  clockToleranceSeconds?: number;
  /** The claim holding the app user id. @default 'sub' */
  userIdClaim?: string;
}

/** Verifies the app's own session JWTs against its OIDC issuer's JWKS. */
export function createOidcAuthenticator(options: OidcAuthenticatorOptions): Authenticator {
  const algorithms = options.algorithms ?? DEFAULT_OIDC_ALGORITHMS;
  const refused = algorithms.filter((algorithm) => !ASYMMETRIC_ALGORITHM.test(algorithm));
  if (algorithms.length === 0 || refused.length > 0) {
    throw new Error(`The OIDC authenticator accepts asymmetric JWS algorithms only (refused: ${refused.join(', ') || 'an empty list'}).`);
  }
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl));
  const userIdClaim = options.userIdClaim ?? 'sub';
  return {
    async authenticate(sessionToken) {
      let payload;
      try {
        ({ payload } = await jwtVerify(sessionToken, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw sessionRejection(error);
      }
      return sessionFromClaims(payload, userIdClaim);
    },
  };
}
