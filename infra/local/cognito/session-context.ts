import { COGNITO_IDENTITY_PROVIDER } from './model/identity-pool.ts';
import { principalTagsOf, type OpenIdTokenClaims } from './tokens/openid-token.ts';

/** The request context keys STS fixes for a session assumed with a Cognito OpenID token; IAM policies read them as policy variables. */
export function cognitoSessionContext(claims: OpenIdTokenClaims): Record<string, string | string[]> {
  const tags = Object.entries(principalTagsOf(claims)).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]);
  return {
    'aws:FederatedProvider': COGNITO_IDENTITY_PROVIDER,
    [`${COGNITO_IDENTITY_PROVIDER}:aud`]: claims.aud,
    [`${COGNITO_IDENTITY_PROVIDER}:sub`]: claims.sub,
    [`${COGNITO_IDENTITY_PROVIDER}:amr`]: claims.amr,
    ...Object.fromEntries(tags),
  };
}
