import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isValidUserId } from '../../../token-service/authenticators/authenticator.ts';
import { createDevelopmentAuthenticator } from '../../../token-service/authenticators/development-authenticator.ts';
import { createHmacAuthenticator } from '../../../token-service/authenticators/hmac-authenticator.ts';
import { createOidcAuthenticator } from '../../../token-service/authenticators/oidc-authenticator.ts';
import { UnauthenticatedError, UpstreamUnavailableError } from '../../../token-service/http/token-service-errors.ts';

const SECRET = 'a-shared-secret-that-is-long-enough-000';
const ISSUER = 'login.example.app';
const AUDIENCE = 'eu-west-1:0f0f0f0f-1111-4222-8333-444455556666';
const sign = (secret: string, claims: Record<string, unknown> = {}, subject = 'alice') =>
  new SignJWT({ iss: ISSUER, aud: AUDIENCE, ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
const hmacAuthenticator = (secret: () => Promise<string>) => createHmacAuthenticator({ secret, issuer: ISSUER, audience: AUDIENCE });

describe('app user ids', () => {
  // Cognito takes any developer user identifier of 1 to 1024 characters.
  it.each([
    ['an Auth0 id', 'auth0|abc'],
    ['a Google id through Auth0', 'google-oauth2|112233445566'],
    ['an id with a slash', 'waad|tenant/user'],
    ['an Okta id', '00u1abcd2EFGH3ijk4x7'],
    ['an email address', 'alice@example.com'],
    ['an id with a space', 'a b'],
    ['a non-ASCII id', 'ünïcödé 東京'],
    ['1024 characters', 'x'.repeat(1024)],
    ['512 characters outside the BMP (1024 UTF-16 code units)', '😀'.repeat(512)],
  ])('accepts %s', (_what, userId) => {
    expect(isValidUserId(userId)).toBe(true);
  });

  it.each([
    ['an empty id', ''],
    ['1025 characters', 'x'.repeat(1025)],
    ['513 characters outside the BMP', '😀'.repeat(513)],
    ['a NUL', 'a\u0000b'],
    ['a line break', 'line\nbreak'],
    ['DEL', '\u007f'],
    ['a C1 control', 'a\u0085b'],
    ['a lone surrogate', 'lone \ud800 surrogate'],
    ['a number', 42],
    ['null', null],
  ])('refuses %s', (_what, userId) => {
    expect(isValidUserId(userId)).toBe(false);
  });
});

describe('authenticators', () => {
  it('OIDC refuses symmetric and none algorithms in its configuration', () => {
    for (const algorithms of [['HS256'], ['none'], ['RS256', 'HS512'], []]) {
      expect(() => createOidcAuthenticator({ issuer: 'https://i', audience: 'a', jwksUrl: 'https://i/jwks', algorithms })).toThrow(/asymmetric/);
    }
    expect(() => createOidcAuthenticator({ issuer: 'https://i', audience: 'a', jwksUrl: 'https://i/jwks', algorithms: ['PS256', 'ES384', 'EdDSA'] })).not.toThrow();
  });

  it('HMAC returns the session with its claims and reads the secret once', async () => {
    let reads = 0;
    const authenticator = hmacAuthenticator(async () => {
      reads += 1;
      return SECRET;
    });
    expect(await authenticator.authenticate(await sign(SECRET, { tenant: 'acme' }))).toMatchObject({ userId: 'alice', claims: { tenant: 'acme', sub: 'alice' } });
    await authenticator.authenticate(await sign(SECRET));
    expect(reads).toBe(1);
    await expect(authenticator.authenticate(await sign(SECRET, {}, 'bad\nuser'))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('HMAC refuses sessions without its issuer and audience', async () => {
    const authenticator = hmacAuthenticator(async () => SECRET);
    for (const claims of [{ iss: undefined }, { aud: undefined }, { iss: 'https://another.example' }, { aud: 'another-pool' }]) {
      await expect(authenticator.authenticate(await sign(SECRET, claims))).rejects.toThrow(/^The session token's (iss|aud) claim is not accepted\.$/);
    }
  });

  it('HMAC retries a failed secret load and refuses short secrets', async () => {
    let attempts = 0;
    const flaky = hmacAuthenticator(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('Secrets Manager unavailable');
      return SECRET;
    });
    await expect(flaky.authenticate(await sign(SECRET))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect((await flaky.authenticate(await sign(SECRET))).userId).toBe('alice');

    const weak = hmacAuthenticator(async () => 'short');
    await expect(weak.authenticate(await sign('short'))).rejects.toThrow(/at least 32 bytes/);
  });

  it('the development authenticator only accepts its own sessions', async () => {
    const development = createDevelopmentAuthenticator({ environment: {} });
    const response = await development.routes!.request('/v1/dev/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"zoe","tenant":"acme"}' });
    const { sessionToken } = (await response.json()) as { sessionToken: string };
    expect(await development.authenticate(sessionToken)).toMatchObject({ userId: 'zoe', claims: { tenant: 'acme' } });

    const otherProcess = createDevelopmentAuthenticator({ environment: {} });
    await expect(otherProcess.authenticate(sessionToken)).rejects.toBeInstanceOf(UnauthenticatedError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('zoe').setExpirationTime('5m').sign(rsa);
    await expect(development.authenticate(foreign)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
