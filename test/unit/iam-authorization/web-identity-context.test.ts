import { describe, expect, it } from 'vitest';
import { trustPolicyRequests } from '../../../infra/local/iam-authorization/assume-role-with-web-identity.ts';
import { cognitoSessionContext } from '../../../infra/local/cognito/session-context.ts';
import { openIdTokenClaims, principalTagsOf, type OpenIdTokenClaims } from '../../../infra/local/cognito/tokens/openid-token.ts';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { buildRequestContext } from '../../../infra/local/s3/request-permissions/s3-request-context.ts';
import type { VerifiedSigV4Request } from '../../../infra/local/sigv4/verify-sigv4.ts';

const POOL_ID = 'us-east-1:11111111-2222-3333-4444-555555555555';
const IDENTITY_ID = 'us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/AuthRole';
const NOW = new Date('2026-01-02T03:04:05Z');
const WEB_IDENTITY_KEYS = ['aws:FederatedProvider', 'cognito-identity.amazonaws.com:amr', 'cognito-identity.amazonaws.com:aud', 'cognito-identity.amazonaws.com:sub'];

function tokenClaims(amr: string[], principalTags: Record<string, string> = {}): OpenIdTokenClaims {
  return openIdTokenClaims({ identityPoolId: POOL_ID, identityPoolArn: `arn:aws:cognito-identity:us-east-1:000000000000:identitypool/${POOL_ID}`, identityId: IDENTITY_ID, amr, principalTags }, NOW, 600);
}

/** The context of an S3 request signed with the credentials GetCredentialsForIdentity issues for these claims. */
function s3RequestContext(claims: OpenIdTokenClaims): Record<string, string | string[]> {
  const caller: IssuedCredentials = {
    accessKeyId: 'ASIATEST',
    secretAccessKey: 'secret',
    sessionToken: 'token',
    expiration: new Date(NOW.getTime() + 3600_000).toISOString(),
    roleArn: ROLE_ARN,
    sessionArn: 'arn:aws:sts::000000000000:assumed-role/AuthRole/CognitoIdentityCredentials',
    userId: 'AROATEST:CognitoIdentityCredentials',
    sessionContext: cognitoSessionContext(claims),
  };
  const verified = { caller, authorization: { location: 'header' }, contentSha256: 'UNSIGNED-PAYLOAD', signatureAgeMs: 0 } as VerifiedSigV4Request;
  return buildRequestContext(verified, { secureTransport: true, sourceIp: '127.0.0.1' }, NOW, 'us-east-1');
}

const identities = [
  { kind: 'authenticated', claims: tokenClaims(['authenticated', 'login.example', `login.example:${POOL_ID}:alice`]) },
  { kind: 'authenticated with principal tags', claims: tokenClaims(['authenticated', 'login.example', `login.example:${POOL_ID}:alice`], { tenant: 'acme' }) },
  { kind: 'guest', claims: tokenClaims(['unauthenticated']) },
];

describe('the Cognito web identity context', () => {
  it.each(identities)('is the same in the trust-policy check and in S3 requests for a $kind identity', ({ claims }) => {
    const trustRequests = trustPolicyRequests({ roleArn: ROLE_ARN, webIdentityClaims: claims, principalTags: principalTagsOf(claims), identityId: IDENTITY_ID });
    const s3Context = s3RequestContext(claims);
    expect(trustRequests.length).toBeGreaterThan(0);
    for (const { context } of trustRequests) {
      expect(Object.keys(context).sort()).toEqual(WEB_IDENTITY_KEYS);
      for (const key of WEB_IDENTITY_KEYS) expect(s3Context[key], key).toEqual(context[key]);
    }
    expect(s3Context['cognito-identity.amazonaws.com:sub']).toBe(IDENTITY_ID);
    expect(s3Context['cognito-identity.amazonaws.com:aud']).toBe(POOL_ID);
    expect(s3Context['cognito-identity.amazonaws.com:amr']).toEqual(claims.amr);
    expect(s3Context['aws:FederatedProvider']).toBe('cognito-identity.amazonaws.com');
  });

  it('asks for sts:TagSession with the same context only when the token carries principal tags', () => {
    const tagged = tokenClaims(['authenticated', 'login.example'], { tenant: 'acme' });
    const requests = trustPolicyRequests({ roleArn: ROLE_ARN, webIdentityClaims: tagged, principalTags: principalTagsOf(tagged), identityId: IDENTITY_ID });
    expect(requests.map((request) => request.action)).toEqual(['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']);
    expect(requests[1]!.context).toEqual(requests[0]!.context);
    expect(s3RequestContext(tagged)['aws:PrincipalTag/tenant']).toBe('acme');
    const guest = tokenClaims(['unauthenticated']);
    expect(trustPolicyRequests({ roleArn: ROLE_ARN, webIdentityClaims: guest, principalTags: {}, identityId: IDENTITY_ID }).map((request) => request.action)).toEqual(['sts:AssumeRoleWithWebIdentity']);
  });
});
