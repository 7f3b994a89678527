import { GetCredentialsForIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminSecretAuthorizer } from '../../../token-service/routes/admin-authorization.ts';
import { postJson, startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

const ADMIN_SECRET = 'admin-secret-for-tests-0123456789';
let cognito: LocalCognito;
let issuer: TestIssuer;
let service: TokenServiceUnderTest;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  service = await startTokenService(cognito, issuer, { authorizeAdmin: createAdminSecretAuthorizer(ADMIN_SECRET), tokenDurationSeconds: 1200 });
});
afterAll(async () => {
  await service.close();
  await Promise.all([cognito.close(), issuer.close()]);
});

function callsOf(operation: string): number {
  return cognito.developerCalls.filter((call) => call === operation).length;
}

describe('POST /v1/token', () => {
  it('returns an OpenID token that the local Cognito exchanges for credentials', async () => {
    const session = await issuer.sessionToken('alice');
    const { status, body, headers } = await service.request('/v1/token', { method: 'POST', session });
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({ identityId: expect.stringMatching(/^us-east-1:[0-9a-f-]{36}$/), token: expect.any(String), expiresAt: expect.any(String), principalTags: {} });
    const claims = decodeJwt(body.token as string);
    expect(claims.sub).toBe(body.identityId);
    expect(claims.amr).toEqual(['authenticated', 'login.example.app', expect.stringMatching(/:alice$/)]);
    expect(new Date(body.expiresAt as string).getTime()).toBe(claims.exp! * 1000);
    expect(claims.exp! - claims.iat!).toBe(1200);

    const credentials = await cognito.publicClient().send(
      new GetCredentialsForIdentityCommand({ IdentityId: body.identityId as string, Logins: { 'cognito-identity.amazonaws.com': body.token as string } }),
    );
    expect(credentials.IdentityId).toBe(body.identityId);
    expect(credentials.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('gives the same identity on every request and accepts an empty JSON body', async () => {
    const session = await issuer.sessionToken('carol');
    const first = await service.request('/v1/token', postJson({}, session));
    const second = await service.request('/v1/token', { method: 'POST', session });
    expect(first.status).toBe(200);
    expect(second.body.identityId).toBe(first.body.identityId);
  });

  it("turns the session's tenant claim into a principal tag, answered as principalTags, and refuses an empty one", async () => {
    const tagged = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('dave', { tenant: 'acme' }) });
    expect(tagged.status).toBe(200);
    expect(decodeJwt(tagged.body.token as string)['https://aws.amazon.com/tags']).toEqual({ principal_tags: { tenant: ['acme'] } });
    expect(tagged.body.principalTags).toEqual({ tenant: 'acme' });

    for (const tenant of ['', 'a\u0000b', 'x'.repeat(257), 42]) {
      const refused = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('erin', { tenant }) });
      expect(refused.status).toBe(403);
      expect((refused.body.error as { code: string }).code).toBe('forbidden');
    }
  });

  it("refuses a tenant claim that is not one whole path segment: tenant acme/eu's files would lie inside tenants/acme/", async () => {
    for (const tenant of ['acme/eu', '/acme', 'acme/', '.', '..']) {
      const refused = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('erin', { tenant }) });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toEqual({ code: 'forbidden', message: expect.stringMatching(/^The session's tenant claim cannot become a principal tag: .*one whole path segment/) });
    }
    const dotted = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('erin', { tenant: 'acme.eu' }) });
    expect(dotted.status).toBe(200);
  });

  it('answers principalTags {} without a tenant, and exactly the tags the token carries, cached or not', async () => {
    const untagged = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('ivan', { department: 'sales', groups: ['admins'] }) });
    expect(untagged.status).toBe(200);
    expect(untagged.body.principalTags).toEqual({});
    expect(decodeJwt(untagged.body.token as string)['https://aws.amazon.com/tags']).toBeUndefined();

    const session = await issuer.sessionToken('ivan', { tenant: 'globex' });
    const [fresh, cached] = [await service.request('/v1/token', { method: 'POST', session }), await service.request('/v1/token', { method: 'POST', session })];
    expect(cached.body.token).toBe(fresh.body.token);
    for (const answer of [fresh, cached]) {
      expect(answer.body.principalTags).toEqual({ tenant: 'globex' });
      expect(decodeJwt(answer.body.token as string)['https://aws.amazon.com/tags']).toEqual({ principal_tags: { tenant: ['globex'] } });
    }
    // The same user without the tenant again: the tags of this session, not of the cached one before.
    const again = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('ivan') });
    expect(again.body.principalTags).toEqual({});
    expect(again.body.identityId).toBe(fresh.body.identityId);
  });

  it('answers every tag the claim map names, under the tag key rather than the claim name', async () => {
    const mapped = await startTokenService(cognito, issuer, { claimToTag: { tenant: 'tenant', dept: 'department' } });
    try {
      const both = await mapped.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('judy', { tenant: 'acme', dept: 'sales', other: 'ignored' }) });
      expect(both.body.principalTags).toEqual({ tenant: 'acme', department: 'sales' });
      expect(decodeJwt(both.body.token as string)['https://aws.amazon.com/tags']).toEqual({ principal_tags: { tenant: ['acme'], department: ['sales'] } });
      const one = await mapped.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('judy', { dept: 'sales' }) });
      expect(one.body.principalTags).toEqual({ department: 'sales' });
    } finally {
      await mapped.close();
    }
  });

  it('serves a still-valid token from the cache instead of calling Cognito again', async () => {
    const session = await issuer.sessionToken('frank');
    const before = callsOf('GetOpenIdTokenForDeveloperIdentity');
    const answers = await Promise.all(Array.from({ length: 8 }, () => service.request('/v1/token', { method: 'POST', session })));
    const again = await service.request('/v1/token', { method: 'POST', session });
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(new Set([...answers, again].map((answer) => answer.body.token)).size).toBe(1);
    // Eight concurrent misses and one hit: one Cognito call.
    expect(callsOf('GetOpenIdTokenForDeveloperIdentity') - before).toBe(1);

    // Another tenant is another principal tag set, so another token.
    await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('frank', { tenant: 'acme' }) });
    expect(callsOf('GetOpenIdTokenForDeveloperIdentity') - before).toBe(2);
  });
});

describe('identity-provider user ids', () => {
  it('serves auth0|abc end to end: a token, credentials, the admin lookup and unlinking', async () => {
    const session = await issuer.sessionToken('auth0|abc', { tenant: 'acme' });
    const issued = await service.request('/v1/token', { method: 'POST', session });
    expect(issued.status).toBe(200);
    expect(decodeJwt(issued.body.token as string).amr).toEqual(['authenticated', 'login.example.app', expect.stringMatching(/:auth0\|abc$/)]);
    const credentials = await cognito.publicClient().send(
      new GetCredentialsForIdentityCommand({ IdentityId: issued.body.identityId as string, Logins: { 'cognito-identity.amazonaws.com': issued.body.token as string } }),
    );
    expect(credentials.Credentials?.AccessKeyId).toMatch(/^ASIA/);

    const lookup = await service.request(`/v1/admin/identities/${encodeURIComponent('auth0|abc')}`, { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
    expect(lookup.body).toEqual({ identityId: issued.body.identityId });
    const deleted = await service.request('/v1/identity', { method: 'DELETE', session });
    expect(deleted.body).toEqual({ identityId: issued.body.identityId, unlinked: true });
  });

  it('keeps users apart whose ids differ only by characters a naive cache key would join on', async () => {
    const identities = new Set<unknown>();
    const users = ['waad|tenant/user', 'waad|tenant', 'waad', 'a b', 'x'.repeat(1024), 'ünïcödé 東京 😀', 'quote"back\\slash\u2028'];
    for (const user of users) {
      const issued = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken(user) });
      expect(issued.status).toBe(200);
      identities.add(issued.body.identityId);
      const lookup = await service.request(`/v1/admin/identities/${encodeURIComponent(user)}`, { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
      expect(lookup.body).toEqual({ identityId: issued.body.identityId });
    }
    expect(identities.size).toBe(users.length);
  });
});

describe('DELETE /v1/identity', () => {
  it('unlinks the login, so the next token request gets a new identity', async () => {
    const session = await issuer.sessionToken('grace');
    const first = await service.request('/v1/token', { method: 'POST', session });
    const deleted = await service.request('/v1/identity', { method: 'DELETE', session });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ identityId: first.body.identityId, unlinked: true });

    const next = await service.request('/v1/token', { method: 'POST', session });
    expect(next.status).toBe(200);
    expect(next.body.identityId).not.toBe(first.body.identityId);

    const lookup = await service.request('/v1/admin/identities/grace', { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
    expect(lookup.body.identityId).toBe(next.body.identityId);
  });

  it('answers 404 when the user has no identity', async () => {
    const { status, body } = await service.request('/v1/identity', { method: 'DELETE', session: await issuer.sessionToken('nobody-yet') });
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: 'No identity is linked to this user.' } });
  });
});

describe('GET /v1/admin/identities/{appUserId}', () => {
  it("finds a user's identity id with the admin secret", async () => {
    const token = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('heidi@example.com') });
    const { status, body } = await service.request(`/v1/admin/identities/${encodeURIComponent('heidi@example.com')}`, {
      headers: { authorization: `Bearer ${ADMIN_SECRET}` },
    });
    expect(status).toBe(200);
    expect(body).toEqual({ identityId: token.body.identityId });
  });

  it('answers 404 for users without identity and 400 for invalid user ids', async () => {
    const admin = { headers: { authorization: `Bearer ${ADMIN_SECRET}` } };
    expect((await service.request('/v1/admin/identities/unknown-user', admin)).status).toBe(404);
    for (const user of ['a\u0000b', 'x'.repeat(1025)]) expect((await service.request(`/v1/admin/identities/${encodeURIComponent(user)}`, admin)).status).toBe(400);
  });

  it('never accepts an app session token, a wrong secret or no authorization', async () => {
    const session = await issuer.sessionToken('heidi@example.com');
    for (const headers of [{ authorization: `Bearer ${session}` }, { authorization: `Bearer ${ADMIN_SECRET}x` }, { authorization: ADMIN_SECRET }, {}] as Record<string, string>[]) {
      const { status, body } = await service.request('/v1/admin/identities/heidi%40example.com', { headers });
      expect(status).toBe(403);
      expect((body.error as { code: string }).code).toBe('forbidden');
    }
  });
});

describe('GET /healthz and CORS', () => {
  it('answers ok', async () => {
    const { status, body } = await service.request('/healthz');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok' });
  });

  it('allows the configured app origins only, on answers and errors alike', async () => {
    const allowed = await service.request('/v1/token', { method: 'POST', headers: { origin: 'https://app.example.com' } });
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    const preflight = await service.request('/v1/token', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type');

    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.test', 'null']) {
      const refused = await service.request('/v1/token', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const healthz = await service.request('/healthz', { headers: { origin } });
      expect(healthz.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
