import { createHmac } from 'node:crypto';
import { base64url, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

let cognito: LocalCognito;
let issuer: TestIssuer;
let service: TokenServiceUnderTest;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  service = await startTokenService(cognito, issuer);
});
afterAll(async () => {
  await service.close();
  await Promise.all([cognito.close(), issuer.close()]);
});

async function tokenStatus(authorization: string | undefined) {
  const response = await service.request('/v1/token', { method: 'POST', headers: authorization === undefined ? {} : { authorization } });
  return { status: response.status, code: (response.body.error as { code?: string } | undefined)?.code, www: response.headers.get('www-authenticate') };
}

/** HS256 over `header.payload` with an arbitrary key, as an attacker would forge it. */
function hmacSigned(header: object, payload: object, key: string | Buffer): string {
  const signingInput = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

describe('app session authentication (OIDC)', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a valid session token', async () => {
    expect((await tokenStatus(`Bearer ${await issuer.sessionToken('ivan')}`)).status).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not bearer', 'Basic dXNlcjpwYXNz'],
    ['bearer without token', 'Bearer '],
    ['garbage', 'Bearer not-a-jwt'],
    ['two dots of garbage', 'Bearer a.b.c'],
    ['oversized', `Bearer ${'a'.repeat(9000)}`],
  ])('refuses a %s Authorization header with 401', async (_name, authorization) => {
    expect(await tokenStatus(authorization)).toEqual({ status: 401, code: 'unauthenticated', www: 'Bearer' });
  });

  it('refuses expired, wrong-issuer and wrong-audience tokens', async () => {
    for (const token of [
      await issuer.sessionToken('ivan', {}, { expiresInSeconds: -120 }),
      await issuer.sessionToken('ivan', {}, { issuer: 'https://other.example.app' }),
      await issuer.sessionToken('ivan', {}, { audience: 'another-app' }),
    ]) {
      expect((await tokenStatus(`Bearer ${token}`)).status).toBe(401);
    }
  });

  it('refuses alg none', async () => {
    const unsigned = new UnsecuredJWT({ sub: 'ivan' }).setIssuer(issuer.issuer).setAudience(issuer.audience).setExpirationTime('10m').encode();
    expect((await tokenStatus(`Bearer ${unsigned}`)).status).toBe(401);
  });

  it("refuses HS256 tokens signed with the issuer's RSA public key (algorithm confusion)", async () => {
    const payload = { sub: 'ivan', iss: issuer.issuer, aud: issuer.audience, exp: now() + 600 };
    const publicPem = issuer.privateKey.type === 'private' ? (await import('node:crypto')).createPublicKey(issuer.privateKey).export({ type: 'spki', format: 'pem' }) : '';
    for (const key of [publicPem, JSON.stringify(issuer.publicJwk), issuer.publicJwk.n!]) {
      expect((await tokenStatus(`Bearer ${hmacSigned({ alg: 'HS256', kid: 'test-key' }, payload, key)}`)).status).toBe(401);
    }
  });

  it('refuses tampered tokens', async () => {
    const [header, payload, signature] = (await issuer.sessionToken('ivan')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forgedPayload = base64url.encode(JSON.stringify({ ...claims, sub: 'mallory' }));
    expect((await tokenStatus(`Bearer ${header}.${forgedPayload}.${signature}`)).status).toBe(401);
    const flipped = signature!.slice(0, -2) + (signature!.endsWith('AA') ? 'BB' : 'AA');
    expect((await tokenStatus(`Bearer ${header}.${payload}.${flipped}`)).status).toBe(401);
  });

  it('refuses a token signed by another key with the same kid', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setSubject('ivan')
      .setExpirationTime('10m')
      .sign(privateKey);
    expect((await tokenStatus(`Bearer ${forged}`)).status).toBe(401);
  });

  it('refuses sessions whose user id is not a developer user identifier Cognito takes (1 to 1024 characters, no control characters)', async () => {
    for (const user of ['', 'x'.repeat(1025), 'a\u0000b', 'line\nbreak', 'lone \ud800 surrogate']) {
      expect((await tokenStatus(`Bearer ${await issuer.sessionToken(user)}`)).status).toBe(401);
    }
  });

  it('never writes session tokens or Authorization headers to the log', async () => {
    const token = await issuer.sessionToken('judy');
    await service.request('/v1/token', { method: 'POST', session: token });
    await service.request('/v1/token', { method: 'POST', session: `${token}x` });
    const log = service.logLines.join('\n');
    const [, , signature] = token.split('.');
    expect(log).not.toContain(token);
    expect(log).not.toContain(signature);
    expect(log.toLowerCase()).not.toContain('bearer');
    expect(log).not.toContain('judy');
    const lines = service.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', route: '/v1/token', method: 'POST', status: 401, code: 'unauthenticated' });
    expect(lines.at(-2)).toMatchObject({ level: 'info', route: '/v1/token', method: 'POST', status: 200, userHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(lines.at(-2)).toEqual({
      time: expect.any(String),
      level: 'info',
      route: '/v1/token',
      method: 'POST',
      status: 200,
      latencyMs: expect.any(Number),
      userHash: expect.any(String),
    });
  });
});
