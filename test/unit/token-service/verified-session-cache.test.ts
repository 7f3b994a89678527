import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from '../../../token-service/authenticators/authenticator.ts';
import { createHmacAuthenticator } from '../../../token-service/authenticators/hmac-authenticator.ts';
import { withVerifiedSessionCache } from '../../../token-service/authenticators/verified-session-cache.ts';
import { UnauthenticatedError } from '../../../token-service/http/token-service-errors.ts';

const SECRET = 'a-shared-secret-that-is-long-enough-000';
const NOW_SECONDS = Math.floor(Date.now() / 1000);

const ISSUER = 'login.example.app';
const AUDIENCE = 'eu-west-1:0f0f0f0f-1111-4222-8333-444455556666';

const sign = (subject: string, expiresAt = NOW_SECONDS + 3600, secret = SECRET) =>
  new SignJWT({ tenant: 'acme' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));

/** The real HMAC authenticator, counting how often it is asked to verify. */
function countingAuthenticator(): Authenticator & { verifications: number } {
  const inner = createHmacAuthenticator({ secret: async () => SECRET, issuer: ISSUER, audience: AUDIENCE });
  const counting = {
    verifications: 0,
    authenticate: (token: string) => {
      counting.verifications += 1;
      return inner.authenticate(token);
    },
  };
  return counting;
}

function cachedWithClock(inner: Authenticator, options: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = { now: NOW_SECONDS * 1000 };
  const authenticator = withVerifiedSessionCache(inner, { ttlMs: options.ttlMs ?? 60_000, maxEntries: options.maxEntries ?? 100, clock: () => clock.now });
  return { authenticator, clock };
}

describe('verified-session cache', () => {
  it('verifies a token once, then serves the same session for the same exact token', async () => {
    const inner = countingAuthenticator();
    const { authenticator } = cachedWithClock(inner);
    const token = await sign('alice');
    const first = await authenticator.authenticate(token);
    const second = await authenticator.authenticate(token);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ userId: 'alice', claims: { tenant: 'acme' } });
    expect(inner.verifications).toBe(1);
  });

  it('verifies again after its lifetime, and never serves past the token\'s exp', async () => {
    const inner = countingAuthenticator();
    const { authenticator, clock } = cachedWithClock(inner, { ttlMs: 60_000 });
    const longLived = await sign('alice');
    await authenticator.authenticate(longLived);
    clock.now += 60_001;
    await authenticator.authenticate(longLived);
    expect(inner.verifications).toBe(2);

    const shortLived = await sign('bob', NOW_SECONDS + 10);
    clock.now = NOW_SECONDS * 1000;
    await authenticator.authenticate(shortLived);
    clock.now = (NOW_SECONDS + 10) * 1000;
    await authenticator.authenticate(shortLived);
    expect(inner.verifications).toBe(4);
  });

  it('never remembers a failure, and a tampered or forged token is verified (and refused) on its own', async () => {
    const inner = countingAuthenticator();
    const { authenticator } = cachedWithClock(inner);
    const token = await sign('alice');
    await authenticator.authenticate(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'mallory' })).toString('base64url');
    for (const bad of [`${header}.${otherPayload}.${signature}`, `${token}x`, await sign('alice', undefined, 'another-secret-that-is-long-enough-00')]) {
      await expect(authenticator.authenticate(bad)).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(authenticator.authenticate(bad)).rejects.toBeInstanceOf(UnauthenticatedError);
    }
    expect(inner.verifications).toBe(7);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const inner = countingAuthenticator();
    const { authenticator } = cachedWithClock(inner, { maxEntries: 2 });
    const [first, second, third] = await Promise.all([sign('u1'), sign('u2'), sign('u3')]);
    await authenticator.authenticate(first);
    await authenticator.authenticate(second);
    await authenticator.authenticate(first);
    await authenticator.authenticate(third);
    expect(inner.verifications).toBe(3);
    await authenticator.authenticate(first);
    expect(inner.verifications).toBe(3);
    await authenticator.authenticate(second);
    expect(inner.verifications).toBe(4);
  });

  it('is off with a lifetime of 0', async () => {
    const inner = countingAuthenticator();
    expect(withVerifiedSessionCache(inner, { ttlMs: 0, maxEntries: 100 })).toBe(inner);
  });
});
