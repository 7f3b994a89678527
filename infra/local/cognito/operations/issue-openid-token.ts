import { identityPoolArn, type IdentityPool } from '../model/identity-pool.ts';
import { openIdTokenClaims, signOpenIdToken, type OpenIdTokenClaims } from '../tokens/openid-token.ts';
import type { CognitoServiceDependencies } from './service-dependencies.ts';

interface TokenGrant {
  pool: IdentityPool;
  identityId: string;
  amr: string[];
  principalTags: Record<string, string>;
}

export function issueOpenIdToken(dependencies: CognitoServiceDependencies, grant: TokenGrant, lifetimeSeconds: number): Promise<string> {
  return signOpenIdToken(dependencies.signingKey, subjectOf(dependencies, grant), dependencies.clock(), lifetimeSeconds);
}

/** The claims Cognito hands STS on a guest's behalf when the guest presents no token. */
export function guestClaims(dependencies: CognitoServiceDependencies, grant: TokenGrant): OpenIdTokenClaims {
  return openIdTokenClaims(subjectOf(dependencies, grant), dependencies.clock(), dependencies.lifetimes.openIdTokenSeconds);
}

function subjectOf(dependencies: CognitoServiceDependencies, { pool, identityId, amr, principalTags }: TokenGrant) {
  return { identityPoolId: pool.identityPoolId, identityPoolArn: identityPoolArn(pool, dependencies.accountId), identityId, amr, principalTags };
}
