import { COGNITO_IDENTITY_PROVIDER } from './model/identity-pool.ts';
import { principalTagsOf, type OpenIdTokenClaims } from './tokens/openid-token.ts';

/**
 * The condition keys STS takes from a Cognito OpenID token (`aud`, `sub`, `amr`, the federated
 * provider). A role's trust policy is checked against them, and every request signed with the
 * session's credentials carries them: one builder, so the two cannot drift apart.
 */
export function webIdentityContext(claims: OpenIdTokenClaims): Record<string, string | string[]> {
  return {
    'aws:FederatedProvider': COGNITO_IDENTITY_PROVIDER,
    [`${COGNITO_IDENTITY_PROVIDER}:aud`]: claims.aud,
    [`${COGNITO_IDENTITY_PROVIDER}:sub`]: claims.sub,
    [`${COGNITO_IDENTITY_PROVIDER}:amr`]: claims.amr,
  };
}

/** The request context keys STS fixes for a session assumed with a Cognito OpenID token; IAM policies read them as policy variables. */
export function cognitoSessionContext(claims: OpenIdTokenClaims): Record<string, string | string[]> {
  const tags = Object.entries(principalTagsOf(claims)).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]);
  return { ...webIdentityContext(claims), ...Object.fromEntries(tags) };
}
