import { errors, jwtVerify, SignJWT } from 'jose';
import { NotAuthorizedException } from '../cognito-errors.ts';
import { OPENID_TOKEN_ALGORITHM, type SigningKey } from './signing-key.ts';

const OPENID_TOKEN_ISSUER = 'https://cognito-identity.amazonaws.com';
const IDENTITY_POOL_ARN_CLAIM = 'https://cognito-identity.amazonaws.com/identity-pool-arn';
/** Where AWS STS reads session tags from a web identity token. */
const TAGS_CLAIM = 'https://aws.amazon.com/tags';

/** The claims of an OpenID token as Cognito Identity issues them. */
export interface OpenIdTokenClaims {
  iss: string;
  /** The identity pool id. */
  aud: string;
  /** The identity id. */
  sub: string;
  /** `["authenticated", <provider>, <provider>:<pool id>:<user>]` or `["unauthenticated"]`. */
  amr: string[];
  iat: number;
  exp: number;
  [IDENTITY_POOL_ARN_CLAIM]: string;
  [TAGS_CLAIM]?: { principal_tags: Record<string, string[]> };
}

interface OpenIdTokenSubject {
  identityPoolId: string;
  identityPoolArn: string;
  identityId: string;
  amr: string[];
  principalTags: Record<string, string>;
}

export async function signOpenIdToken(key: SigningKey, subject: OpenIdTokenSubject, issuedAt: Date, lifetimeSeconds: number): Promise<string> {
  const claims = openIdTokenClaims(subject, issuedAt, lifetimeSeconds);
  return new SignJWT({ ...claims }).setProtectedHeader({ kid: key.kid, typ: 'JWS', alg: OPENID_TOKEN_ALGORITHM }).sign(key.privateKey);
}

/** The claims a token for `subject` carries; also what Cognito presents to STS for a guest that sent no token. */
export function openIdTokenClaims(subject: OpenIdTokenSubject, issuedAt: Date, lifetimeSeconds: number): OpenIdTokenClaims {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const tags = Object.entries(subject.principalTags);
  return {
    iss: OPENID_TOKEN_ISSUER,
    aud: subject.identityPoolId,
    sub: subject.identityId,
    amr: subject.amr,
    iat,
    exp: iat + lifetimeSeconds,
    [IDENTITY_POOL_ARN_CLAIM]: subject.identityPoolArn,
    ...(tags.length > 0 ? { [TAGS_CLAIM]: { principal_tags: Object.fromEntries(tags.map(([key, value]) => [key, [value]])) } } : {}),
  };
}

export function principalTagsOf(claims: OpenIdTokenClaims): Record<string, string> {
  const tags = claims[TAGS_CLAIM]?.principal_tags ?? {};
  return Object.fromEntries(Object.entries(tags).flatMap(([key, values]) => (values[0] === undefined ? [] : [[key, values[0]]])));
}

/**
 * Verifies a token presented under the `cognito-identity.amazonaws.com` login: signature, issuer,
 * audience (the identity pool), expiry and, when given, the identity it was issued for.
 * Every failure is a NotAuthorizedException, as on AWS.
 */
export async function verifyOpenIdToken(
  key: SigningKey,
  token: string,
  expected: { identityPoolId: string; identityId?: string; now: Date },
): Promise<OpenIdTokenClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [OPENID_TOKEN_ALGORITHM],
      issuer: OPENID_TOKEN_ISSUER,
      audience: expected.identityPoolId,
      currentDate: expected.now,
      requiredClaims: ['sub', 'aud', 'iat', 'exp'],
    }));
  } catch (error) {
    throw new NotAuthorizedException(`Invalid login token. ${rejectionReason(error)}`);
  }
  if (!Array.isArray(payload.amr) || !payload.amr.every((entry) => typeof entry === 'string')) {
    throw new NotAuthorizedException('Invalid login token. The amr claim is missing.');
  }
  if (expected.identityId !== undefined && payload.sub !== expected.identityId) {
    throw new NotAuthorizedException('Invalid login token. The token was issued for a different identity.');
  }
  return payload as unknown as OpenIdTokenClaims;
}

function rejectionReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Token expired.';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'aud' ? 'The token was issued for a different identity pool.' : `The ${error.claim} claim is invalid.`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  return 'Not a valid OpenId Connect identity token.';
}
