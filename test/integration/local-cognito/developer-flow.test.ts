import { generateKeyPairSync } from 'node:crypto';
import { GetCredentialsForIdentityCommand, GetOpenIdTokenForDeveloperIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { fromCognitoIdentity } from '@aws-sdk/credential-providers';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_ROLE_ARN, DEVELOPER_POOL, GUEST_POOL, REGION, startLocalCognito, type LocalCognito } from './local-cognito-fixture.ts';

const COGNITO = 'cognito-identity.amazonaws.com';
let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito({ maxOpenIdTokenLifetimeSeconds: 3600 });
});
afterAll(() => cognito.close());

async function developerToken(user: string, extra: { TokenDuration?: number; PrincipalTags?: Record<string, string>; pool?: typeof DEVELOPER_POOL } = {}) {
  const pool = extra.pool ?? DEVELOPER_POOL;
  const output = await cognito.developerClient().send(
    new GetOpenIdTokenForDeveloperIdentityCommand({
      IdentityPoolId: pool.identityPoolId,
      Logins: { [pool.developerProviderName]: user },
      TokenDuration: extra.TokenDuration,
      PrincipalTags: extra.PrincipalTags,
    }),
  );
  return { identityId: output.IdentityId!, token: output.Token! };
}

function getCredentials(identityId: string, token?: string) {
  return cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: token ? { [COGNITO]: token } : undefined }));
}

describe('developer-authenticated identities, end to end', () => {
  it('exchanges a developer token for credentials of the authenticated role through fromCognitoIdentity', async () => {
    const { identityId, token } = await developerToken('alice');
    expect(identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);

    const credentials = await fromCognitoIdentity({
      identityId,
      logins: { [COGNITO]: token },
      clientConfig: { endpoint: cognito.endpoint, region: REGION, maxAttempts: 1 },
    })();
    expect(credentials.identityId).toBe(identityId);
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(credentials.secretAccessKey).toHaveLength(40);
    expect(credentials.sessionToken).toBeTruthy();
    const lifetimeMs = credentials.expiration!.getTime() - Date.now();
    expect(lifetimeMs).toBeGreaterThan(3590_000);
    expect(lifetimeMs).toBeLessThanOrEqual(3600_000);

    const issued = cognito.credentialStore.findByAccessKeyId(credentials.accessKeyId)!;
    expect(issued).toMatchObject({
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      roleArn: AUTH_ROLE_ARN,
      sessionArn: 'arn:aws:sts::000000000000:assumed-role/AuthRole/CognitoIdentityCredentials',
      userId: 'AROAAUTHROLE00000000:CognitoIdentityCredentials',
    });
    expect(issued.sessionContext).toEqual({
      'aws:FederatedProvider': COGNITO,
      'cognito-identity.amazonaws.com:aud': DEVELOPER_POOL.identityPoolId,
      'cognito-identity.amazonaws.com:sub': identityId,
      'cognito-identity.amazonaws.com:amr': ['authenticated', 'login.example.app', `login.example.app:${DEVELOPER_POOL.identityPoolId}:alice`],
    });
    expect(cognito.roleRequests.at(-1)).toMatchObject({ roleArn: AUTH_ROLE_ARN, identityId, principalTags: {} });
  });

  it("issues RS512 tokens with Cognito's claims, verifiable against the served JWKS", async () => {
    const { identityId, token } = await developerToken('bob');
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', cognito.endpoint));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: 'https://cognito-identity.amazonaws.com',
      audience: DEVELOPER_POOL.identityPoolId,
      algorithms: ['RS512'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS512', kid: expect.stringMatching(/^us-east-1-/) });
    expect(payload.sub).toBe(identityId);
    expect(payload.amr).toEqual(['authenticated', 'login.example.app', `login.example.app:${DEVELOPER_POOL.identityPoolId}:bob`]);
    expect(payload['https://cognito-identity.amazonaws.com/identity-pool-arn']).toBe(
      `arn:aws:cognito-identity:us-east-1:000000000000:identitypool/${DEVELOPER_POOL.identityPoolId}`,
    );
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload['https://aws.amazon.com/tags']).toBeUndefined();
  });

  it('carries principal tags in the token and into the session context of the credentials', async () => {
    const tags = { tenant: 'acme-42', plan: 'gold plan' };
    const { identityId, token } = await developerToken('carol', { PrincipalTags: tags });
    expect(decodeJwt(token)['https://aws.amazon.com/tags']).toEqual({ principal_tags: { tenant: ['acme-42'], plan: ['gold plan'] } });

    const output = await getCredentials(identityId, token);
    const issued = cognito.credentialStore.findByAccessKeyId(output.Credentials!.AccessKeyId!)!;
    expect(issued.sessionContext).toMatchObject({ 'aws:PrincipalTag/tenant': 'acme-42', 'aws:PrincipalTag/plan': 'gold plan' });
    expect(cognito.roleRequests.at(-1)?.principalTags).toEqual(tags);
  });

  it('respects TokenDuration, caps it at the configured maximum, and refuses expired tokens', async () => {
    const short = await developerToken('dave', { TokenDuration: 120 });
    const claims = decodeJwt(short.token);
    expect(claims.exp! - claims.iat!).toBe(120);
    const capped = decodeJwt((await developerToken('dave', { TokenDuration: 86_400 })).token);
    expect(capped.exp! - capped.iat!).toBe(3600);

    // Well inside the lifetime (real seconds pass too on a loaded machine, and iat is rounded down), then past it.
    cognito.advanceClock(110);
    await expect(getCredentials(short.identityId, short.token)).resolves.toHaveProperty('Credentials');
    cognito.advanceClock(11);
    await expect(getCredentials(short.identityId, short.token)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: expect.stringContaining('Token expired'),
    });
  });

  it('refuses forged, tampered, foreign-pool and other-identity tokens with NotAuthorizedException', async () => {
    const alice = await developerToken('erin');
    const other = await developerToken('frank');
    const guestPoolToken = await developerToken('erin', { pool: GUEST_POOL });

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(decodeJwt(alice.token))
      .setProtectedHeader(decodeProtectedHeader(alice.token) as { alg: string })
      .sign(privateKey);
    const [header, , signature] = alice.token.split('.');
    const tamperedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(alice.token), sub: other.identityId })).toString('base64url');
    const tampered = `${header}.${tamperedPayload}.${signature}`;

    const attempts: [string, string][] = [
      [alice.identityId, forged],
      [other.identityId, tampered],
      [alice.identityId, guestPoolToken.token],
      [other.identityId, alice.token],
      [alice.identityId, 'not-a-jwt'],
    ];
    for (const [identityId, token] of attempts) {
      await expect(getCredentials(identityId, token)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    }
  });

  it('refuses credentials for an authenticated identity without its token, and logins of other providers', async () => {
    const { identityId } = await developerToken('gina');
    await expect(getCredentials(identityId)).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(
      cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: { 'login.example.app': 'gina' } })),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(
      cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: { 'accounts.google.com': 'x' } })),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  it('accepts CustomRoleArn only when it names the role the pool maps the identity to', async () => {
    const { identityId, token } = await developerToken('hank');
    const send = (CustomRoleArn: string) =>
      cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: { [COGNITO]: token }, CustomRoleArn }));
    await expect(send(AUTH_ROLE_ARN)).resolves.toHaveProperty('Credentials');
    await expect(send('arn:aws:iam::000000000000:role/AdminRole')).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('does not ask the developer-call check for the public APIs', async () => {
    const { identityId, token } = await developerToken('ivan');
    const before = cognito.developerCalls.length;
    await getCredentials(identityId, token);
    expect(cognito.developerCalls).toHaveLength(before);
  });
});

describe('role assumption refused by STS', () => {
  it('answers InvalidIdentityPoolConfigurationException', async () => {
    const refusing = await startLocalCognito({
      assumeRoleWithWebIdentity: async () => ({ allowed: false, message: 'Trust policy does not allow this audience.' }),
    });
    try {
      const { IdentityId, Token } = await refusing.developerClient().send(
        new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: DEVELOPER_POOL.identityPoolId, Logins: { 'login.example.app': 'judy' } }),
      );
      await expect(
        refusing.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: { [COGNITO]: Token! } })),
      ).rejects.toMatchObject({ name: 'InvalidIdentityPoolConfigurationException' });
    } finally {
      await refusing.close();
    }
  });
});
