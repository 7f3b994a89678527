import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenServiceServer, tokenServiceServerOptionsFromEnvironment } from '../../../token-service/adapters/node-server.ts';
import { createTokenServiceApp } from '../../../token-service/app.ts';
import { createDevelopmentAuthenticator } from '../../../token-service/authenticators/development-authenticator.ts';
import { createAdminSecretAuthorizer } from '../../../token-service/routes/admin-authorization.ts';
import type { IdentityLookupAccess } from '../../../token-service/routes/identity-lookup-route.ts';
import { POOL, postJson, startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

const LOOKUP = '/v1/identities/lookup';
const ADMIN_SECRET = 'admin-secret-for-lookup-tests-0123456789';
let cognito: LocalCognito;
let issuer: TestIssuer;
let service: TokenServiceUnderTest;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  service = await startTokenService(cognito, issuer, { authorizeAdmin: createAdminSecretAuthorizer(ADMIN_SECRET), rateLimit: { ratePerSecond: 1000, burst: 1000 } });
});
afterAll(async () => {
  await service.close();
  await Promise.all([cognito.close(), issuer.close()]);
});

/** The identity id `user` gets from signing in (POST /v1/token). */
async function signIn(user: string): Promise<string> {
  const issued = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken(user) });
  expect(issued.status).toBe(200);
  return issued.body.identityId as string;
}

async function lookUp(userId: unknown, as = 'looker', on: TokenServiceUnderTest = service) {
  return on.request(LOOKUP, postJson({ userId }, await issuer.sessionToken(as)));
}

function adminLookup(user: string) {
  return service.request(`/v1/admin/identities/${encodeURIComponent(user)}`, { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
}

const NOT_FOUND = { error: { code: 'not_found', message: 'No identity is linked to that user id.' } };

describe('POST /v1/identities/lookup', () => {
  it("answers another user's identity id to a signed-in session, uncached", async () => {
    const identityId = await signIn('friend@example.com');
    const found = await lookUp('friend@example.com');
    expect(found.status).toBe(200);
    expect(found.headers.get('cache-control')).toBe('no-store');
    expect(found.body).toEqual({ userId: 'friend@example.com', identityId });
    expect(identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
  });

  it('finds identity-provider user ids whole, whatever characters they hold', async () => {
    for (const user of ['auth0|abc', 'waad|tenant/user', 'ünïcödé 東京 😀', 'x'.repeat(1024)]) {
      const identityId = await signIn(user);
      expect((await lookUp(user)).body).toEqual({ userId: user, identityId });
    }
  });

  it('answers the same 404 for a user who never signed in, one who does not exist and one who deleted their identity', async () => {
    const never = await lookUp('registered-but-never-signed-in');
    const nonexistent = await lookUp('no-such-user-anywhere');
    await signIn('left-the-app');
    expect((await service.request('/v1/identity', { method: 'DELETE', session: await issuer.sessionToken('left-the-app') })).status).toBe(200);
    const deleted = await lookUp('left-the-app');
    for (const answer of [never, nonexistent, deleted]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual(NOT_FOUND);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('never creates an identity: the looked-up user has none afterwards and gets a new one only by signing in', async () => {
    const tokenCallsBefore = cognito.developerCalls.filter((call) => call === 'GetOpenIdTokenForDeveloperIdentity').length;
    const lookupCallsBefore = cognito.developerCalls.filter((call) => call === 'LookupDeveloperIdentity').length;
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await lookUp('ghost')).status).toBe(404);
    expect(cognito.developerCalls.filter((call) => call === 'GetOpenIdTokenForDeveloperIdentity').length).toBe(tokenCallsBefore);
    expect(cognito.developerCalls.filter((call) => call === 'LookupDeveloperIdentity').length).toBe(lookupCallsBefore + 3);
    expect((await adminLookup('ghost')).status).toBe(404);

    const identityId = await signIn('ghost');
    expect((await lookUp('ghost')).body).toEqual({ userId: 'ghost', identityId });
  });

  it('cannot enumerate users: no wildcards, prefixes, patterns, other cases or padding, only whole user ids', async () => {
    const identityId = await signIn('enumeration-target');
    for (const guess of ['*', '%', '?', '.*', '^enumeration', 'enumeration*', 'enumeration-targe', 'enumeration', 'e', 'ENUMERATION-TARGET', 'enumeration-target ', ' enumeration-target', 'enumeration-target/', 'enumeration-target\u200b']) {
      const answer = await lookUp(guess);
      expect(answer.status, JSON.stringify(guess)).toBe(404);
      expect(answer.body).toEqual(NOT_FOUND);
      expect(answer.text).not.toContain(identityId);
    }
    for (const guess of ['', 'enumeration-target\u0000', 'enumeration-target\n']) {
      const answer = await lookUp(guess);
      expect(answer.status, JSON.stringify(guess)).toBe(400);
      expect(answer.text).not.toContain(identityId);
    }
    expect((await lookUp('enumeration-target')).body).toEqual({ userId: 'enumeration-target', identityId });
  });

  it('looks up exactly one user id per request: no lists, no search fields, nothing but "userId"', async () => {
    await signIn('listed');
    const session = await issuer.sessionToken('looker');
    for (const body of [{ userId: ['listed'] }, { userIds: ['listed'] }, { userId: 'listed', prefix: 'l' }, { prefix: 'l' }, { query: '*' }, { userId: 'listed', limit: 10 }, [{ userId: 'listed' }]]) {
      const answer = await service.request(LOOKUP, postJson(body, session));
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.body.error as { code: string }).code).toBe('invalid_request');
    }
  });

  it('answers bad bodies with typed 400s (and 413, 415) that say what is wrong', async () => {
    const session = await issuer.sessionToken('looker');
    const send = (body: string | undefined, contentType = 'application/json') =>
      service.request(LOOKUP, { method: 'POST', session, headers: { 'content-type': contentType }, ...(body === undefined ? {} : { body }) });

    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /^Send \{"userId": "<app user id>"\}/],
      ['', /^Send \{"userId": "<app user id>"\}/],
      ['{}', /^Send \{"userId": "<app user id>"\}/],
      ['{"userId":""}', /^"userId" must be a user id of 1 to 1024 characters without control characters\.$/],
      [JSON.stringify({ userId: 'x'.repeat(1025) }), /^"userId" must be a user id of 1 to 1024/],
      [JSON.stringify({ userId: 'a\u0000b' }), /^"userId" must be a user id/],
      [JSON.stringify({ userId: 'a\u007fb' }), /^"userId" must be a user id/],
      ['{"userId":"\\ud800"}', /^"userId" must be a user id/],
      ['{"userId":5}', /^"userId" must be a string\.$/],
      ['{"userId":null}', /^"userId" must be a string\.$/],
      ['{"userId":{"$ne":""}}', /^"userId" must be a string\.$/],
      ['{"userId":"alice","extra":true}', /^Unknown field "extra"/],
      ['"alice"', /^The request body must be a JSON object\.$/],
      ['null', /^The request body must be a JSON object\.$/],
      ['{"userId":', /^The request body is not well-formed JSON\.$/],
      ['{"userId":"a"}{"userId":"b"}', /^The request body is not well-formed JSON\.$/],
    ];
    for (const [body, message] of cases) {
      const answer = await send(body);
      expect(answer.status, String(body)).toBe(400);
      expect(answer.body.error).toEqual({ code: 'invalid_request', message: expect.stringMatching(message) });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }

    const notJson = await send('{"userId":"alice"}', 'text/plain');
    expect(notJson.status).toBe(415);
    expect((notJson.body.error as { code: string }).code).toBe('unsupported_media_type');

    const tooBig = await send(JSON.stringify({ userId: 'x'.repeat(17 * 1024) }));
    expect(tooBig.status).toBe(413);
    expect((tooBig.body.error as { code: string }).code).toBe('payload_too_large');

    const latin1 = await service.request(LOOKUP, { method: 'POST', session, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"userId":"\xe9"}', 'latin1') });
    expect(latin1.status).toBe(400);
    expect(latin1.body.error).toEqual({ code: 'invalid_request', message: 'The request body is not valid UTF-8.' });
  });

  it('needs a signed-in session (401), checked before the body is read', async () => {
    await signIn('private-person');
    const forged = await issuer.sessionToken('looker', {}, { issuer: 'https://impostor.example' });
    for (const init of [postJson({ userId: 'private-person' }), postJson({ userId: 'private-person' }, 'not-a-jwt'), postJson({ userId: 'private-person' }, forged), postJson('not even an object')]) {
      const answer = await service.request(LOOKUP, init);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect((answer.body.error as { code: string }).code).toBe('unauthenticated');
      expect(answer.text).not.toContain('us-east-1:');
    }
  });

  it('answers 405 with Allow: POST to other methods', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await service.request(LOOKUP, { method, session: await issuer.sessionToken('looker') });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
    }
  });

  it("logs the route and the caller's user hash, never the looked-up user id or the caller's", async () => {
    await signIn('logged-target-user');
    const before = service.logLines.length;
    expect((await lookUp('logged-target-user', 'logged-caller-user')).status).toBe(200);
    expect((await lookUp('logged-missing-user', 'logged-caller-user')).status).toBe(404);
    const lines = service.logLines.slice(before);
    expect(lines).toHaveLength(2);
    const parsed = lines.map((line) => JSON.parse(line) as { route: string; method: string; status: number; userHash?: string; code?: string });
    expect(parsed.map(({ route, method, status, code }) => ({ route, method, status, code }))).toEqual([
      { route: LOOKUP, method: 'POST', status: 200, code: undefined },
      { route: LOOKUP, method: 'POST', status: 404, code: 'not_found' },
    ]);
    expect(parsed[0]!.userHash).toMatch(/^[0-9a-f]{16}$/);
    expect(parsed[1]!.userHash).toBe(parsed[0]!.userHash);
    for (const line of lines) for (const user of ['logged-target-user', 'logged-missing-user', 'logged-caller-user']) expect(line).not.toContain(user);
  });

  it('answers a browser on an allowed origin (preflight and answer), and no other origin', async () => {
    const preflight = await service.request(LOOKUP, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')?.split(',')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type');

    const identityId = await signIn('cors-friend');
    const session = await issuer.sessionToken('looker');
    const answer = await service.request(LOOKUP, { ...postJson({ userId: 'cors-friend' }, session), headers: { 'content-type': 'application/json', origin: 'https://app.example.com' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ userId: 'cors-friend', identityId });
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.test', 'null']) {
      const refusedPreflight = await service.request(LOOKUP, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();
      const refused = await service.request(LOOKUP, { ...postJson({ userId: 'cors-friend' }, session), headers: { 'content-type': 'application/json', origin } });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('the rate limit', () => {
  it("spends the caller's own tokens, shared with POST /v1/token: 429 with Retry-After, without asking Cognito", async () => {
    const limited = await startTokenService(cognito, issuer, { rateLimit: { ratePerSecond: 1, burst: 3 } });
    try {
      const session = await issuer.sessionToken('eager-looker');
      expect((await limited.request('/v1/token', { method: 'POST', session })).status).toBe(200);
      const statuses = [];
      for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await limited.request(LOOKUP, postJson({ userId: `guess-${attempt}` }, session))).status);
      expect(statuses).toEqual([404, 404, 429]);
      const lookupsBefore = cognito.developerCalls.filter((call) => call === 'LookupDeveloperIdentity').length;
      const refused = await limited.request(LOOKUP, postJson({ userId: 'guess-3' }, session));
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.error).toEqual({ code: 'rate_limited', message: expect.any(String) });
      expect(cognito.developerCalls.filter((call) => call === 'LookupDeveloperIdentity').length).toBe(lookupsBefore);
      // Another user still has a full bucket.
      expect((await lookUp('guess-0', 'patient-looker', limited)).status).toBe(404);
    } finally {
      await limited.close();
    }
  });
});

describe('TOKEN_SERVICE_IDENTITY_LOOKUP=off', () => {
  it('answers 403 lookup_disabled to everyone, signed in or not, and leaves the other routes alone', async () => {
    const off = await startTokenService(cognito, issuer, { identityLookup: 'off' });
    try {
      const identityId = (await off.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('switched-off-friend') })).body.identityId;
      expect(identityId).toEqual(expect.any(String));
      const lookupsBefore = cognito.developerCalls.filter((call) => call === 'LookupDeveloperIdentity').length;
      for (const init of [postJson({ userId: 'switched-off-friend' }, await issuer.sessionToken('looker')), postJson({ userId: 'switched-off-friend' }), postJson({ userId: '' }, await issuer.sessionToken('looker'))]) {
        const answer = await off.request(LOOKUP, init);
        expect(answer.status).toBe(403);
        expect(answer.body).toEqual({ error: { code: 'lookup_disabled', message: 'Looking up identities is turned off in this deployment.' } });
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
      expect(cognito.developerCalls.filter((call) => call === 'LookupDeveloperIdentity').length).toBe(lookupsBefore);
    } finally {
      await off.close();
    }
  });

  it('is read from the environment (development sign-in here), as is the default', async () => {
    const environment = {
      TOKEN_SERVICE_IDENTITY_POOL_ID: POOL.identityPoolId,
      TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: POOL.developerProviderName,
      TOKEN_SERVICE_COGNITO_ENDPOINT: cognito.endpoint,
      TOKEN_SERVICE_AUTHENTICATOR: 'development',
      TOKEN_SERVICE_DEV_SESSION_SECRET: 'development-secret-of-the-lookup-test',
    };
    for (const [setting, expected] of [[undefined, 200], ['signed-in', 200], ['off', 403]] as const) {
      const running = await startTokenServiceServer({
        ...tokenServiceServerOptionsFromEnvironment({ ...environment, ...(setting === undefined ? {} : { TOKEN_SERVICE_IDENTITY_LOOKUP: setting }) }),
        port: 0,
        cognito: cognito.tokenServiceClient(),
        logSink: () => undefined,
      });
      try {
        const sessionOf = async (user: string) => ((await (await fetch(`${running.url}/v1/dev/session`, postJson({ user }))).json()) as { sessionToken: string }).sessionToken;
        const token = await fetch(`${running.url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${await sessionOf('dev-friend')}` } });
        const { identityId } = (await token.json()) as { identityId: string };
        const answer = await fetch(`${running.url}${LOOKUP}`, { method: 'POST', headers: { authorization: `Bearer ${await sessionOf('dev-looker')}`, 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'dev-friend' }) });
        expect(answer.status, String(setting)).toBe(expected);
        expect(await answer.json()).toEqual(expected === 200 ? { userId: 'dev-friend', identityId } : { error: { code: 'lookup_disabled', message: expect.any(String) } });
      } finally {
        await running.close();
      }
    }
    expect(() => tokenServiceServerOptionsFromEnvironment({ ...environment, TOKEN_SERVICE_IDENTITY_LOOKUP: 'everyone' })).toThrow(/TOKEN_SERVICE_IDENTITY_LOOKUP must be signed-in .* or off .* \(got "everyone"\)/);
  });

  it('is refused at start for any other value given to the app in code', () => {
    const options = { cognito: cognito.tokenServiceClient(), identityPoolId: POOL.identityPoolId, developerProviderName: POOL.developerProviderName, authenticator: createDevelopmentAuthenticator() };
    expect(() => createTokenServiceApp({ ...options, identityLookup: 'everyone' as IdentityLookupAccess })).toThrow('The identity lookup must be signed-in or off (got "everyone").');
    expect(() => createTokenServiceApp({ ...options, identityLookup: 'off' })).not.toThrow();
  });
});
