import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPER_POOL, GUEST_POOL, postRaw, startLocalCognito, TEST_DEVELOPER_HEADER, type LocalCognito } from './local-cognito-fixture.ts';

const TARGET = 'AWSCognitoIdentityService.';
const developer = { [TEST_DEVELOPER_HEADER]: '*' };
let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito();
});
afterAll(() => cognito.close());

function call(operation: string, input: unknown, headers: Record<string, string> = {}) {
  return postRaw(cognito.endpoint, JSON.stringify(input), { 'x-amz-target': `${TARGET}${operation}`, ...headers });
}

/** Sends the body chunked, so the server cannot refuse it by its Content-Length. */
async function postStreamed(body: string) {
  const response = await fetch(cognito.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}GetId` },
    body: new Blob([body]).stream(),
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as { __type?: string } };
}

function developerToken(input: Record<string, unknown>) {
  return call(
    'GetOpenIdTokenForDeveloperIdentity',
    { IdentityPoolId: DEVELOPER_POOL.identityPoolId, Logins: { [DEVELOPER_POOL.developerProviderName]: 'wire-user' }, ...input },
    developer,
  );
}

describe('the AWS JSON 1.1 wire protocol', () => {
  it('answers errors as {__type, message} with x-amzn-ErrorType, and successes with the JSON 1.1 content type', async () => {
    const failure = await call('GetId', { IdentityPoolId: 'us-east-1:99999999-9999-4999-8999-999999999999' });
    expect(failure.status).toBe(400);
    expect(failure.body).toEqual({ __type: 'ResourceNotFoundException', message: "IdentityPool 'us-east-1:99999999-9999-4999-8999-999999999999' not found." });
    expect(failure.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException:');
    expect(failure.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);

    const success = await call('GetId', { IdentityPoolId: GUEST_POOL.identityPoolId });
    expect(success.status).toBe(200);
    expect(success.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(success.body.IdentityId).toMatch(/^us-east-1:/);
  });

  it.each([
    ['a bad pool id', { IdentityPoolId: 'not-a-pool' }, /identityPoolId.*regular expression pattern: \[\\w-\]\+:\[0-9a-f-\]\+/],
    ['a too long pool id', { IdentityPoolId: `us-east-1:${'a'.repeat(60)}` }, /length less than or equal to 55/],
    ['a bad identity id', { IdentityId: 'us-east-1:XYZ' }, /identityId.*regular expression pattern/],
    ['51 principal tags', { PrincipalTags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, /at most 50 entries/],
    ['a tag value with forbidden characters', { PrincipalTags: { team: 'a<b>' } }, /principalTags\.team.*regular expression pattern/],
    ['a tag key with forbidden characters', { PrincipalTags: { 'bad#key': 'v' } }, /principalTags key.*regular expression pattern/],
    ['a reserved tag key', { PrincipalTags: { 'aws:team': 'v' } }, /reserved prefix 'aws:'/],
    ['an empty tag value', { PrincipalTags: { team: '' } }, /greater than or equal to 1/],
    ['TokenDuration 0', { TokenDuration: 0 }, /tokenDuration.*greater than or equal to 1/],
    ['TokenDuration 86401', { TokenDuration: 86_401 }, /tokenDuration.*less than or equal to 86400/],
    ['11 logins', { Logins: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, 'v'])) }, /at most 10 entries/],
    ['no logins', { Logins: null }, /Value null at 'logins'.*must not be null/],
  ])('answers InvalidParameterException for %s', async (_case, input, message) => {
    const { status, body } = await developerToken(input);
    expect(status).toBe(400);
    expect(body.__type).toBe('InvalidParameterException');
    expect(body.message).toMatch(message);
  });

  it('reports every violation at once and never echoes login tokens', async () => {
    const { body } = await call('GetCredentialsForIdentity', { IdentityId: 'bad', Logins: { 'cognito-identity.amazonaws.com': '' } });
    expect(body.__type).toBe('InvalidParameterException');
    expect(body.message).toMatch(/^2 validation errors detected: /);
    expect(body.message).not.toContain("Value ''");
  });

  it.each([
    ['malformed JSON', () => postRaw(cognito.endpoint, '{"IdentityPoolId": ', { 'x-amz-target': `${TARGET}GetId` }), 400, 'SerializationException'],
    ['a JSON array', () => postRaw(cognito.endpoint, '[]', { 'x-amz-target': `${TARGET}GetId` }), 400, 'SerializationException'],
    ['a member of the wrong type', () => call('GetId', { IdentityPoolId: 42 }), 400, 'SerializationException'],
    ['an unknown target', () => call('CreateIdentityPool', {}), 400, 'UnknownOperationException'],
    ['a missing target', () => postRaw(cognito.endpoint, '{}'), 400, 'UnknownOperationException'],
    [
      'a wrong content type',
      () => postRaw(cognito.endpoint, '{}', { 'x-amz-target': `${TARGET}GetId`, 'content-type': 'application/json' }),
      400,
      'SerializationException',
    ],
    ['an oversize body', () => call('GetId', { IdentityPoolId: GUEST_POOL.identityPoolId, Padding: 'x'.repeat(100_000) }), 413, 'RequestEntityTooLargeException'],
    ['an oversize streamed body without a declared length', () => postStreamed('x'.repeat(2_000_000)), 413, 'RequestEntityTooLargeException'],
  ])('answers %s with the right error and keeps serving', async (_case, send, status, type) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body.__type).toBe(type);
    expect((await call('GetId', { IdentityPoolId: GUEST_POOL.identityPoolId })).status).toBe(200);
  });

  it('answers arbitrary inputs to every operation with a client error or a result, never an internal error', async () => {
    const operations = [
      'GetId',
      'GetOpenIdToken',
      'GetOpenIdTokenForDeveloperIdentity',
      'GetCredentialsForIdentity',
      'LookupDeveloperIdentity',
      'MergeDeveloperIdentities',
      'UnlinkDeveloperIdentity',
      'DeleteIdentities',
      'DescribeIdentity',
    ];
    const member = fc.oneof(fc.constant(DEVELOPER_POOL.identityPoolId), fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string()), fc.anything());
    const input = fc.record(
      {
        IdentityPoolId: member,
        IdentityId: member,
        Logins: member,
        PrincipalTags: member,
        TokenDuration: member,
        DeveloperUserIdentifier: member,
        IdentityIdsToDelete: fc.oneof(fc.array(fc.string()), member),
        NextToken: member,
        MaxResults: member,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), input, async (operation, body) => {
        const { status, body: answer } = await call(operation, body, developer);
        expect(status === 200 || (status === 400 && typeof answer.__type === 'string')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses other methods and paths, answers CORS preflights and serves the JWKS', async () => {
    const get = await fetch(cognito.endpoint);
    expect(get.status).toBe(400);
    expect(((await get.json()) as { __type: string }).__type).toBe('UnknownOperationException');

    const preflight = await fetch(cognito.endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-target' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-amz-target');

    const jwks = (await (await fetch(`${cognito.endpoint}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS512', use: 'sig', kid: expect.stringMatching(/^us-east-1-/) });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});
