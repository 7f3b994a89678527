import { createVerify, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRule } from '../../../infra/access-rules/access-rule.ts';
import { defaultAccessRules } from '../../../infra/access-rules/default-access-rules.ts';
import type { DeliveryOptions } from '../../../token-service/delivery/delivery-options.ts';
import { postJson, startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const CDN = 'https://cdn.example.test';
const KEY_PAIR_ID = 'KLINKSTEST00001';
const ORIGIN = 'https://app.example.com';
/** The defaults plus rules that let the policy, not the key builder, refuse: a write-only drop box and a list-only neighbour of `abc/`. */
const RULES: AccessRule[] = [
  ...defaultAccessRules({ allowGuests: true }),
  { name: 'inbox', prefix: 'inbox/{identityId}/', grants: { owner: ['write'] } },
  { name: 'abc', prefix: 'abc/', grants: { authenticated: ['read', 'list'] } },
  { name: 'abcd', prefix: 'abcd/', grants: { authenticated: ['list'] } },
];
const DELIVERY: DeliveryOptions = {
  cdnUrl: CDN,
  keyPairId: KEY_PAIR_ID,
  privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  bucket: 'links-test-bucket',
  accessRules: RULES,
  maxLinkSeconds: 86_400,
  cookieDomain: 'example.test',
};

let cognito: LocalCognito;
let issuer: TestIssuer;
let service: TokenServiceUnderTest;
let withoutDelivery: TokenServiceUnderTest;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  [service, withoutDelivery] = await Promise.all([
    startTokenService(cognito, issuer, { delivery: DELIVERY, rateLimit: { ratePerSecond: 1000, burst: 1000 } }),
    startTokenService(cognito, issuer),
  ]);
});
afterAll(async () => {
  await Promise.all([service.close(), withoutDelivery.close()]);
  await Promise.all([cognito.close(), issuer.close()]);
});

/** The identity id of `user`, as it appears in a CDN URL's path (`:` percent-encoded, as the signer spells it). */
async function identityOf(user: string, claims: Record<string, unknown> = {}): Promise<string> {
  const issued = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken(user, claims) });
  expect(issued.status).toBe(200);
  return encodeURIComponent(issued.body.identityId as string);
}

async function link(user: string, body: unknown, claims: Record<string, unknown> = {}) {
  return service.request('/v1/links', postJson(body, await issuer.sessionToken(user, claims)));
}

/** The canned policy a signed URL carries, verified against the distribution's public key. */
function verifiedResource(signedUrl: string): string {
  const url = new URL(signedUrl);
  const expires = Number(url.searchParams.get('Expires'));
  const signature = url.searchParams.get('Signature')!;
  expect(url.searchParams.get('Key-Pair-Id')).toBe(KEY_PAIR_ID);
  expect(url.searchParams.get('Hash-Algorithm')).toBe('SHA256');
  // The signer appends its parameters to the URL it signed.
  const resource = signedUrl.replace(/[?&]Expires=[^&]*&Key-Pair-Id=[^&]*&Signature=[^&]*&Hash-Algorithm=SHA256$/, '');
  expect(resource).not.toBe(signedUrl);
  const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
  const valid = createVerify('RSA-SHA256').update(policy).verify(publicKey, Buffer.from(signature.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64'));
  expect(valid, resource).toBe(true);
  return resource;
}

describe('POST /v1/links', () => {
  it("signs a URL for a file in the caller's own folder, valid for an hour by default", async () => {
    const identityId = await identityOf('alice');
    const before = Math.floor(Date.now() / 1000);
    const answer = await link('alice', { location: 'private', key: 'photos/summer 2026.jpg' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(verifiedResource(answer.body.url as string)).toBe(`${CDN}/users/${identityId}/photos/summer%202026.jpg`);
    const expiresAt = Date.parse(answer.body.expiresAt as string) / 1000;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(expiresAt).toBeLessThanOrEqual(before + 3602);
    expect(Number(new URL(answer.body.url as string).searchParams.get('Expires'))).toBe(expiresAt);
  });

  it('creates the identity of a user who never asked for a token, as /v1/token does', async () => {
    const answer = await link('carol-first-time', { location: 'private', key: 'a.txt' });
    expect(answer.status).toBe(200);
    const identityId = await identityOf('carol-first-time');
    expect(verifiedResource(answer.body.url as string)).toBe(`${CDN}/users/${identityId}/a.txt`);
  });

  it("reaches another identity's protected and public folders only by naming the identity, and shared files", async () => {
    const bob = await identityOf('bob');
    const bobId = decodeURIComponent(bob);
    expect(verifiedResource((await link('alice', { location: 'protected', key: `${bobId}/cv.pdf` })).body.url as string)).toBe(`${CDN}/protected/${bob}/cv.pdf`);
    expect(verifiedResource((await link('alice', { location: 'public', key: `${bobId}/logo.png` })).body.url as string)).toBe(`${CDN}/public/${bob}/logo.png`);
    expect(verifiedResource((await link('alice', { location: 'shared', key: 'handbook.pdf' })).body.url as string)).toBe(`${CDN}/shared/handbook.pdf`);
    const folderOnly = await link('alice', { location: 'protected', key: 'cv.pdf' });
    expect(folderOnly.status).toBe(400);
    expect(folderOnly.body).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining('must begin with an identity id and "/"') } });
    // A longer id that starts with bob's is no identity id at all.
    expect((await link('alice', { location: 'protected', key: `${bobId}0/cv.pdf` })).status).toBe(400);
  });

  it("never builds a key in another identity's private folder", async () => {
    const alice = await identityOf('alice');
    const bob = decodeURIComponent(await identityOf('bob'));
    for (const key of [`../${bob}/secret.txt`, `./../${bob}/secret.txt`, `/users/${bob}/secret.txt`, `a/../../${bob}/x`]) {
      const answer = await link('alice', { location: 'private', key });
      expect(answer.status, key).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'invalid_request' });
    }
    // An identity id inside the key is just a folder of alice's own.
    expect(verifiedResource((await link('alice', { location: 'private', key: `${bob}/secret.txt` })).body.url as string)).toBe(`${CDN}/users/${alice}/${encodeURIComponent(bob)}/secret.txt`);
  });

  it("puts a tenant member in its own tenant's folder, and refuses a session without the tag", async () => {
    expect(verifiedResource((await link('dana', { location: 'team', key: 'plan.txt' }, { tenant: 'acme' })).body.url as string)).toBe(`${CDN}/tenants/acme/plan.txt`);
    expect(verifiedResource((await link('erin', { location: 'team', key: 'plan.txt' }, { tenant: 'globex' })).body.url as string)).toBe(`${CDN}/tenants/globex/plan.txt`);
    const untagged = await link('frank', { location: 'team', key: 'plan.txt' });
    expect(untagged.status).toBe(403);
    expect(untagged.body).toEqual({ error: { code: 'link_denied', message: 'The location "team" is reached through the session\'s "tenant" tag, which this session does not have.' } });
    // A tag value that would not be one folder is refused before any link.
    expect((await link('gina', { location: 'team', key: 'plan.txt' }, { tenant: 'acme/../globex' })).status).toBe(403);
  });

  it('refuses with 403 link_denied what the caller may not read, with the reason and no policy text', async () => {
    const inbox = await link('alice', { location: 'inbox', key: 'upload.bin' });
    expect(inbox.status).toBe(403);
    expect(inbox.body.error).toMatchObject({ code: 'link_denied' });
    expect((inbox.body.error as { message: string }).message).toMatch(/^Your credentials may not read this key: ImplicitDeny: s3:GetObject on arn:aws:s3:::links-test-bucket\/inbox\/us-east-1:[0-9a-f-]+\/upload.bin; why: no identity or resource policy allows it \(implicit deny\)$/);
    expect(inbox.text).not.toContain('Statement');
    // Prefix confusion: abc/ is readable, its neighbour abcd/ is not.
    expect(verifiedResource((await link('alice', { location: 'abc', key: 'd/file.txt' })).body.url as string)).toBe(`${CDN}/abc/d/file.txt`);
    expect((await link('alice', { location: 'abcd', key: 'file.txt' })).body.error).toMatchObject({ code: 'link_denied' });
  });

  it('bounds expiresInSeconds by the configured maximum', async () => {
    const at = async (expiresInSeconds: unknown) => link('alice', { location: 'shared', key: 'a.txt', expiresInSeconds });
    const longest = await at(86_400);
    expect(longest.status).toBe(200);
    expect(Date.parse(longest.body.expiresAt as string) / 1000 - Date.now() / 1000).toBeGreaterThan(86_390);
    expect((await at(1)).status).toBe(200);
    for (const wrong of [0, -1, 86_401, 1.5, '60', null, 1e308, Number.MAX_SAFE_INTEGER + 2]) {
      const answer = await at(wrong);
      expect(answer.status, String(wrong)).toBe(400);
      expect(answer.body).toEqual({ error: { code: 'invalid_request', message: '"expiresInSeconds" must be a whole number of seconds from 1 to 86400.' } });
    }
  });

  it('adds the download name to the URL before signing', async () => {
    const answer = await link('alice', { location: 'shared', key: 'r.pdf', disposition: 'attachment', fileName: 'Résumé "final".pdf' });
    const resource = new URL(verifiedResource(answer.body.url as string));
    expect(resource.searchParams.get('response-content-disposition')).toBe('attachment; filename="R_sum_ _final_.pdf"; filename*=UTF-8\'\'R%C3%A9sum%C3%A9%20%22final%22.pdf');
    const inline = new URL(verifiedResource((await link('alice', { location: 'shared', key: 'r.pdf', disposition: 'inline' })).body.url as string));
    expect(inline.searchParams.get('response-content-disposition')).toBe('inline');
    const named = new URL(verifiedResource((await link('alice', { location: 'shared', key: 'r.pdf', fileName: 'a.pdf' })).body.url as string));
    expect(named.searchParams.get('response-content-disposition')).toBe('attachment; filename="a.pdf"');
  });

  it('percent-encodes reserved characters of keys so that a signed URL names exactly the key', async () => {
    const resource = verifiedResource((await link('alice', { location: 'shared', key: 'a b?c#d%e&f;g.txt' })).body.url as string);
    expect(resource).toBe(`${CDN}/shared/a%20b%3Fc%23d%25e%26f%3Bg.txt`);
    expect(decodeURIComponent(new URL(resource).pathname)).toBe('/shared/a b?c#d%e&f;g.txt');
  });

  it('answers 400 with what is wrong for bodies that are not a link request', async () => {
    const session = await issuer.sessionToken('alice');
    const cases: Array<[unknown, string]> = [
      [{}, '"location" is required and must be a string.'],
      [{ location: 'shared' }, '"key" is required and must be a string.'],
      [{ location: 'shared', key: 7 }, '"key" is required and must be a string.'],
      [{ location: 'shared', key: 'a', extra: 1 }, 'Unknown field "extra"; the body may contain "location", "key", "expiresInSeconds", "disposition", "fileName".'],
      [{ location: 'shared', key: 'a', disposition: 'download' }, '"disposition" must be "inline" or "attachment".'],
      [{ location: 'shared', key: 'a', fileName: '' }, '"fileName" must be a name of 1 to 255 characters without control or bidirectional control characters.'],
      [{ location: 'shared', key: 'a', fileName: 'a\nb' }, '"fileName" must be a name of 1 to 255 characters without control or bidirectional control characters.'],
      [{ location: 'shared', key: 'a', fileName: 'invoice\u202Etxt.exe' }, '"fileName" must be a name of 1 to 255 characters without control or bidirectional control characters.'],
      // A `*` reaches the signed policy as a wildcard (the signer re-encodes the path), so the link would open every key it matches.
      [{ location: 'private', key: 't/*' }, '"key" must not contain "*" in a CDN link'],
      [{ location: 'shared', key: 'report*.pdf' }, '"key" must not contain "*" in a CDN link'],
      [[], 'The request body must be a JSON object.'],
      [{ location: 'x'.repeat(3000), key: 'a' }, '"location" is too long.'],
    ];
    for (const [body, message] of cases) {
      const answer = await service.request('/v1/links', postJson(body, session));
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((answer.body.error as { message: string }).message).toContain(message);
    }
    expect((await service.request('/v1/links', { method: 'POST', session })).body.error).toMatchObject({ code: 'invalid_request' });
    expect((await service.request('/v1/links', { method: 'POST', session, headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await service.request('/v1/links', { method: 'GET', session })).status).toBe(405);
  });

  it('needs a valid session: none, a tampered one and an expired one get 401', async () => {
    expect((await service.request('/v1/links', postJson({ location: 'shared', key: 'a' }))).status).toBe(401);
    const token = await issuer.sessionToken('alice');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url');
    for (const tampered of [`${header}.${forgedPayload}.${signature}`, `${header}.${payload}.${signature.slice(0, -4)}AAAA`, `${header}.${payload}.`]) {
      const answer = await service.request('/v1/links', postJson({ location: 'shared', key: 'a' }, tampered));
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ code: 'unauthenticated' });
    }
    expect((await service.request('/v1/links', postJson({ location: 'shared', key: 'a' }, await issuer.sessionToken('alice', {}, { expiresInSeconds: -120 })))).status).toBe(401);
  });

  it('answers 404 delivery_not_configured when the deployment has no CDN', async () => {
    const session = await issuer.sessionToken('alice');
    for (const path of ['/v1/links', '/v1/links/cookies']) {
      const answer = await withoutDelivery.request(path, postJson({ location: 'shared', key: 'a' }, session));
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 'delivery_not_configured' });
    }
  });

  it('shares the per-user rate limit with /v1/token', async () => {
    const limited = await startTokenService(cognito, issuer, { delivery: DELIVERY, rateLimit: { ratePerSecond: 0.001, burst: 2 } });
    try {
      const session = await issuer.sessionToken('rate-limited');
      expect((await limited.request('/v1/token', { method: 'POST', session })).status).toBe(200);
      expect((await limited.request('/v1/links', postJson({ location: 'shared', key: 'a' }, session))).status).toBe(200);
      const third = await limited.request('/v1/links/cookies', { method: 'POST', session });
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).not.toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('answers CORS for the allowed origins only, without credentials', async () => {
    const session = await issuer.sessionToken('alice');
    const allowed = await service.request('/v1/links', { ...postJson({ location: 'shared', key: 'a' }, session), headers: { 'content-type': 'application/json', origin: ORIGIN } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await service.request('/v1/links', { ...postJson({ location: 'shared', key: 'a' }, session), headers: { 'content-type': 'application/json', origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('POST /v1/links/cookies', () => {
  it('signs one cookie set per readable location and sets them as Secure, HttpOnly, SameSite=Lax cookies', async () => {
    const alice = await identityOf('alice', { tenant: 'acme' });
    const before = Math.floor(Date.now() / 1000);
    const answer = await service.request('/v1/links/cookies', postJson({ expiresInSeconds: 600 }, await issuer.sessionToken('alice', { tenant: 'acme' })));
    expect(answer.status).toBe(200);
    const sets = answer.body.cookieSets as Array<{ location: string; path: string; resource: string; cookies: Record<string, string> }>;
    expect(sets.map(({ location, path, resource }) => ({ location, path, resource }))).toEqual([
      { location: 'private', path: `/users/${alice}/`, resource: `${CDN}/users/${alice}/*` },
      { location: 'protected', path: '/protected/', resource: `${CDN}/protected/*/*` },
      { location: 'shared', path: '/shared/', resource: `${CDN}/shared/*` },
      { location: 'team', path: '/tenants/acme/', resource: `${CDN}/tenants/acme/*` },
      { location: 'public', path: '/public/', resource: `${CDN}/public/*/*` },
      { location: 'abc', path: '/abc/', resource: `${CDN}/abc/*` },
    ]);
    const expiresAt = Date.parse(answer.body.expiresAt as string) / 1000;
    expect(expiresAt - before).toBeGreaterThanOrEqual(600);
    expect(expiresAt - before).toBeLessThanOrEqual(602);
    for (const set of sets) {
      const policy = Buffer.from(set.cookies['CloudFront-Policy']!.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64').toString();
      expect(JSON.parse(policy)).toEqual({ Statement: [{ Resource: set.resource, Condition: { DateLessThan: { 'AWS:EpochTime': expiresAt } } }] });
      const signature = Buffer.from(set.cookies['CloudFront-Signature']!.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
      expect(createVerify('RSA-SHA256').update(policy).verify(publicKey, signature)).toBe(true);
      expect(set.cookies['CloudFront-Key-Pair-Id']).toBe(KEY_PAIR_ID);
      expect(set.cookies['CloudFront-Hash-Algorithm']).toBe('SHA256');
    }
    const setCookies = answer.headers.getSetCookie();
    expect(setCookies).toHaveLength(sets.length * 4);
    const expires = new Date(expiresAt * 1000).toUTCString();
    expect(setCookies).toContain(`CloudFront-Policy=${sets[1]!.cookies['CloudFront-Policy']}; Path=/protected/; Expires=${expires}; HttpOnly; Secure; SameSite=Lax; Domain=example.test`);
    expect(setCookies.every((cookie) => /; HttpOnly; Secure; SameSite=Lax; Domain=example\.test$/.test(cookie))).toBe(true);
  });

  it('leaves out the locations the caller cannot read: no tenant without the tag, never the write-only inbox or the list-only abcd', async () => {
    const answer = await service.request('/v1/links/cookies', { method: 'POST', session: await issuer.sessionToken('frank') });
    expect(answer.status).toBe(200);
    expect((answer.body.cookieSets as Array<{ location: string }>).map((set) => set.location)).toEqual(['private', 'protected', 'shared', 'public', 'abc']);
  });

  it('takes an empty body or {} (an hour, at most the maximum) and refuses other bodies and lifetimes', async () => {
    const session = await issuer.sessionToken('alice');
    for (const init of [{ method: 'POST', session }, postJson({}, session)]) {
      const answer = await service.request('/v1/links/cookies', init);
      expect(answer.status).toBe(200);
      expect(Date.parse(answer.body.expiresAt as string) / 1000 - Date.now() / 1000).toBeGreaterThan(3590);
    }
    for (const body of [{ expiresInSeconds: 0 }, { expiresInSeconds: 86_401 }, { location: 'shared' }, [], 'x']) {
      const answer = await service.request('/v1/links/cookies', postJson(body, session));
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.headers.getSetCookie()).toEqual([]);
    }
  });

  it('allows credentials for the allowed origins (preflight and answer), and no other origin', async () => {
    const preflight = await service.request('/v1/links/cookies', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const answer = await service.request('/v1/links/cookies', { method: 'POST', session: await issuer.sessionToken('alice'), headers: { origin: ORIGIN } });
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await service.request('/v1/links/cookies', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('needs a valid session', async () => {
    const answer = await service.request('/v1/links/cookies', { method: 'POST', session: 'not.a.jwt' });
    expect(answer.status).toBe(401);
    expect(answer.headers.getSetCookie()).toEqual([]);
  });
});
