import { InvalidIdentityPoolConfigurationException, InvalidParameterException, NotAuthorizedException } from '../cognito-errors.ts';
import type { GetCredentialsForIdentityInput, GetOpenIdTokenInput } from '../protocol/operation-inputs.ts';
import { epochSeconds } from '../protocol/render-response.ts';
import { cognitoSessionContext } from '../session-context.ts';
import { principalTagsOf } from '../tokens/openid-token.ts';
import { requireAccessibleIdentity } from './identity-access.ts';
import { guestClaims, issueOpenIdToken } from './issue-openid-token.ts';
import { LOGINS_REQUIRED_MESSAGE, requireGuestAccess, verifyPresentedLogins } from './presented-logins.ts';
import type { CognitoServiceDependencies } from './service-dependencies.ts';

/** STS names the sessions Cognito assumes this way. */
const SESSION_NAME = 'CognitoIdentityCredentials';
const INVALID_POOL_CONFIGURATION = 'Invalid identity pool configuration. Check assigned IAM roles for this pool.';

/** A fresh token for a guest, or for an identity that presents a still valid token of its own. */
export async function getOpenIdToken(dependencies: CognitoServiceDependencies, input: GetOpenIdTokenInput) {
  const identity = dependencies.identities.identity(input.IdentityId);
  requireAccessibleIdentity(identity);
  const pool = dependencies.identities.pool(identity.identityPoolId);
  const claims = await verifyPresentedLogins(dependencies, pool, input.Logins, identity.identityId);
  if (!claims) {
    if (identity.authenticated) throw new NotAuthorizedException(LOGINS_REQUIRED_MESSAGE);
    requireGuestAccess(pool);
  }
  const grant = { pool, identityId: identity.identityId, amr: claims?.amr ?? ['unauthenticated'], principalTags: claims ? principalTagsOf(claims) : {} };
  const token = await issueOpenIdToken(dependencies, grant, dependencies.lifetimes.openIdTokenSeconds);
  return { IdentityId: identity.identityId, Token: token };
}

/**
 * The enhanced flow's last step: verifies the identity's token (or admits a guest), picks the
 * pool's authenticated or unauthenticated role, lets STS (the hook) check the role's trust policy
 * and issues session credentials carrying the token's claims as request context.
 */
export async function getCredentialsForIdentity(dependencies: CognitoServiceDependencies, input: GetCredentialsForIdentityInput) {
  const identity = dependencies.identities.identity(input.IdentityId);
  requireAccessibleIdentity(identity);
  const pool = dependencies.identities.pool(identity.identityPoolId);
  let claims = await verifyPresentedLogins(dependencies, pool, input.Logins, identity.identityId);
  if (!claims) {
    if (identity.authenticated) throw new NotAuthorizedException(LOGINS_REQUIRED_MESSAGE);
    requireGuestAccess(pool);
    claims = guestClaims(dependencies, { pool, identityId: identity.identityId, amr: ['unauthenticated'], principalTags: {} });
  }

  const roleArn = claims.amr.includes('authenticated') ? pool.roles.authenticated : pool.roles.unauthenticated;
  if (roleArn === undefined) throw new InvalidIdentityPoolConfigurationException(INVALID_POOL_CONFIGURATION);
  // Developer-authenticated pools map every identity to the default role; there is no other role to choose.
  if (input.CustomRoleArn !== undefined && input.CustomRoleArn !== roleArn) {
    throw new InvalidParameterException(`CustomRoleArn '${input.CustomRoleArn}' is not a role this identity pool maps the identity to.`);
  }

  const principalTags = principalTagsOf(claims);
  const decision = await dependencies.assumeRoleWithWebIdentity({ roleArn, webIdentityClaims: claims, principalTags, identityId: identity.identityId });
  if (!decision.allowed) throw new InvalidIdentityPoolConfigurationException(`${INVALID_POOL_CONFIGURATION} ${decision.message}`);

  const credentials = await dependencies.credentials.issue({
    roleArn,
    roleId: decision.roleId,
    sessionName: SESSION_NAME,
    lifetimeSeconds: dependencies.lifetimes.credentialsSeconds,
    sessionContext: cognitoSessionContext(claims),
    identityId: identity.identityId,
  });
  return {
    IdentityId: identity.identityId,
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      Expiration: epochSeconds(credentials.expiration),
    },
  };
}
