import { COGNITO_IDENTITY_PROVIDER, type IdentityPool } from '../model/identity-pool.ts';
import { NotAuthorizedException } from '../cognito-errors.ts';
import { verifyOpenIdToken, type OpenIdTokenClaims } from '../tokens/openid-token.ts';
import type { CognitoServiceDependencies } from './service-dependencies.ts';

/**
 * Checks the `Logins` a client presents to the public APIs. The local pools trust no external
 * identity provider, so the only acceptable login is an OpenID token this service issued for the
 * pool (and for `identityId`, when given). No logins at all yields `undefined` (a guest).
 */
export async function verifyPresentedLogins(
  dependencies: CognitoServiceDependencies,
  pool: IdentityPool,
  logins: Record<string, string> | undefined,
  identityId?: string,
): Promise<OpenIdTokenClaims | undefined> {
  const providers = Object.keys(logins ?? {});
  if (providers.length === 0) return undefined;
  for (const provider of providers) {
    if (provider === pool.developerProviderName) {
      throw new NotAuthorizedException(
        `Invalid login token. Logins of developer provider '${provider}' are exchanged by the app backend with GetOpenIdTokenForDeveloperIdentity; present the resulting token under '${COGNITO_IDENTITY_PROVIDER}'.`,
      );
    }
    if (provider !== COGNITO_IDENTITY_PROVIDER) {
      throw new NotAuthorizedException(`Invalid login token. Login provider '${provider}' is not configured for identity pool '${pool.identityPoolId}'.`);
    }
  }
  return verifyOpenIdToken(dependencies.signingKey, logins?.[COGNITO_IDENTITY_PROVIDER] ?? '', {
    identityPoolId: pool.identityPoolId,
    identityId,
    now: dependencies.clock(),
  });
}

export function requireGuestAccess(pool: IdentityPool): void {
  if (!pool.allowUnauthenticatedIdentities) throw new NotAuthorizedException('Unauthenticated access is not supported for this identity pool.');
}

/** An authenticated identity must prove it with a login; it cannot fall back to guest access. */
export const LOGINS_REQUIRED_MESSAGE = "Logins don't match. Please include at least one valid login for this identity or identity pool.";
