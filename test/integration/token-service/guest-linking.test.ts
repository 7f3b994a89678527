import { GetCredentialsForIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL, postJson, startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

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

async function link(user: string, guest: { guestIdentityId: string; guestToken: string }) {
  const response = await service.request('/v1/token', postJson(guest, await issuer.sessionToken(user)));
  return { status: response.status, body: response.body, code: (response.body.error as { code?: string } | undefined)?.code };
}

describe('taking over a guest identity', () => {
  it('links the guest identity to the signed-in user with a valid guest token', async () => {
    const guest = await cognito.newGuest();
    const linked = await link('kate', { guestIdentityId: guest.identityId, guestToken: guest.token });
    expect(linked.status).toBe(200);
    expect(linked.body).toEqual({ identityId: guest.identityId, token: expect.any(String), expiresAt: expect.any(String), principalTags: {} });
    expect(decodeJwt(linked.body.token as string).amr).toContain('authenticated');

    // From now on the user's plain token requests name the former guest identity.
    const later = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('kate') });
    expect(later.body.identityId).toBe(guest.identityId);
    const credentials = await cognito.publicClient().send(
      new GetCredentialsForIdentityCommand({ IdentityId: guest.identityId, Logins: { 'cognito-identity.amazonaws.com': later.body.token as string } }),
    );
    expect(credentials.IdentityId).toBe(guest.identityId);

    // Repeating the link is harmless.
    expect((await link('kate', { guestIdentityId: guest.identityId, guestToken: guest.token })).status).toBe(200);
  });

  it("answers the same shape with the session's principal tags when linking a signed-in tenant member", async () => {
    const guest = await cognito.newGuest();
    const linked = await service.request('/v1/token', postJson({ guestIdentityId: guest.identityId, guestToken: guest.token }, await issuer.sessionToken('tenant-kate', { tenant: 'acme' })));
    expect(linked.status).toBe(200);
    expect(linked.body).toEqual({ identityId: guest.identityId, token: expect.any(String), expiresAt: expect.any(String), principalTags: { tenant: 'acme' } });
    expect(decodeJwt(linked.body.token as string)['https://aws.amazon.com/tags']).toEqual({ principal_tags: { tenant: ['acme'] } });
  });

  it('refuses to link without a valid proof (403)', async () => {
    const guest = await cognito.newGuest();
    const expiredOrForged = await new SignJWT({ amr: ['unauthenticated'] })
      .setProtectedHeader({ alg: 'RS512', kid: 'whatever' })
      .setIssuer('https://cognito-identity.amazonaws.com')
      .setAudience(POOL.identityPoolId)
      .setSubject(guest.identityId)
      .setExpirationTime('10m')
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    for (const guestToken of ['a.b.c', 'not even a jwt', expiredOrForged, await issuer.sessionToken('kate')]) {
      const refused = await link('leo', { guestIdentityId: guest.identityId, guestToken });
      expect(refused.status).toBe(403);
      expect(refused.code).toBe('forbidden');
    }
    // Nothing was linked: leo's own identity is new, not the guest's.
    const own = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('leo') });
    expect(own.body.identityId).not.toBe(guest.identityId);
  });

  it("refuses a proof that belongs to a different identity (someone else's identity id with my token)", async () => {
    const mine = await cognito.newGuest();
    const victim = await cognito.newGuest();
    const refused = await link('mallory', { guestIdentityId: victim.identityId, guestToken: mine.token });
    expect(refused.status).toBe(403);
    expect(refused.code).toBe('forbidden');
  });

  it('refuses an authenticated token as proof: only guest tokens prove a guest identity', async () => {
    const owner = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('nina') });
    const refused = await link('mallory2', { guestIdentityId: owner.body.identityId as string, guestToken: owner.body.token as string });
    expect(refused.status).toBe(403);
  });

  it("refuses to link another person's guest identity that already has a login (409), even with its old guest token", async () => {
    const guest = await cognito.newGuest();
    expect((await link('oscar', { guestIdentityId: guest.identityId, guestToken: guest.token })).status).toBe(200);
    const stolen = await link('mallory3', { guestIdentityId: guest.identityId, guestToken: guest.token });
    expect(stolen.status).toBe(409);
    expect(stolen.code).toBe('conflict');
    expect(stolen.body.error).toEqual({ code: 'conflict', message: 'That guest identity already belongs to a signed-in user.' });
  });

  it('refuses to link a guest identity to a user who already has a different identity (409)', async () => {
    await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('pat') });
    const guest = await cognito.newGuest();
    const refused = await link('pat', { guestIdentityId: guest.identityId, guestToken: guest.token });
    expect(refused.status).toBe(409);
    expect(refused.code).toBe('conflict');
  });

  it('refuses (403, not a 500) to take over again a guest identity whose account was deleted, even with its still-valid guest token', async () => {
    const guest = await cognito.newGuest();
    expect((await link('quinn', { guestIdentityId: guest.identityId, guestToken: guest.token })).status).toBe(200);
    const deleted = await service.request('/v1/identity', { method: 'DELETE', session: await issuer.sessionToken('quinn') });
    expect(deleted.status).toBe(200);
    for (const user of ['quinn', 'rita']) {
      const refused = await link(user, { guestIdentityId: guest.identityId, guestToken: guest.token });
      expect(refused.status, user).toBe(403);
      expect(refused.body.error).toEqual({ code: 'forbidden', message: 'That identity can no longer be used: its account was deleted.' });
    }
  });
});
