import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

let cognito: LocalCognito;
let issuer: TestIssuer;
let service: TokenServiceUnderTest;
let session: string;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  // Generous limits: these tests send many requests as one user.
  service = await startTokenService(cognito, issuer, { rateLimit: { ratePerSecond: 10_000, burst: 10_000 } });
  session = await issuer.sessionToken('validator');
});
afterAll(async () => {
  await service.close();
  await Promise.all([cognito.close(), issuer.close()]);
});

function post(body: string, contentType = 'application/json') {
  return service.request('/v1/token', { method: 'POST', session, headers: { 'content-type': contentType }, body });
}

describe('request bodies', () => {
  it('answers malformed JSON with 400 invalid_request', async () => {
    for (const body of ['{', '{"guestIdentityId":', 'nul', '{"a":1}}', '\u0000']) {
      const { status, body: answer } = await post(body);
      expect(status).toBe(400);
      expect(answer.error).toEqual({ code: 'invalid_request', message: expect.any(String) });
    }
  });

  it('answers wrong-typed and unknown fields with 400', async () => {
    for (const body of [[], 'text', 42, null, { guestIdentityId: 5, guestToken: 'x' }, { guestIdentityId: 'us-east-1:abc', guestToken: ['x'] }, { surprise: true }]) {
      const { status, body: answer } = await post(JSON.stringify(body));
      expect(status, JSON.stringify(body)).toBe(400);
      expect((answer.error as { code: string }).code).toBe('invalid_request');
    }
  });

  it('answers half a guest claim or a malformed identity id with 400', async () => {
    for (const body of [{ guestIdentityId: 'us-east-1:0f0f' }, { guestToken: 'a.b.c' }, { guestIdentityId: '../../etc', guestToken: 'a.b.c' }]) {
      expect((await post(JSON.stringify(body))).status).toBe(400);
    }
  });

  it('answers bodies over 16 KiB with 413, whether or not Content-Length says so', async () => {
    const big = JSON.stringify({ guestToken: 'x'.repeat(17 * 1024) });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toEqual({ code: 'payload_too_large', message: 'Request bodies are limited to 16384 bytes.' });

    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 20; index += 1) controller.enqueue(new Uint8Array(1024).fill(32));
        controller.close();
      },
    });
    const streamed = await service.request('/v1/token', {
      method: 'POST',
      session,
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);

    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of ['{"guestIdentityId":', ' "us-east-1:0f0f"', '}']) controller.enqueue(new TextEncoder().encode(piece));
        controller.close();
      },
    });
    const streamedSmall = await service.request('/v1/token', { method: 'POST', session, headers: { 'content-type': 'application/json' }, body: small, duplex: 'half' } as RequestInit);
    // Read and parsed whole: the answer is about the missing guestToken, not the framing.
    expect(streamedSmall.status).toBe(400);
    expect(streamedSmall.body.error).toEqual({ code: 'invalid_request', message: expect.stringContaining('guestIdentityId and guestToken go together') });
  });

  it('answers non-JSON bodies with 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      const { status, body } = await post('{}', contentType);
      expect(status).toBe(415);
      expect((body.error as { code: string }).code).toBe('unsupported_media_type');
    }
    expect((await post('{}', 'application/json; charset=utf-8')).status).toBe(200);
  });
});

describe('routes and methods', () => {
  it('answers unknown routes with 404', async () => {
    for (const path of ['/', '/v1', '/v1/tokens', '/healthz/', '/v1/dev/session', '/v1/admin/identities', '/%00']) {
      const { status, body } = await service.request(path);
      expect(status, path).toBe(404);
      expect((body.error as { code: string }).code).toBe('not_found');
    }
  });

  it('answers wrong methods with 405 and Allow (GET routes answer HEAD too)', async () => {
    for (const [method, path, allow] of [
      ['GET', '/v1/token', 'POST'],
      ['PUT', '/v1/token', 'POST'],
      ['POST', '/v1/identity', 'DELETE'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/v1/admin/identities/alice', 'GET, HEAD'],
    ] as const) {
      const { status, headers, body } = await service.request(path, { method });
      expect(status, `${method} ${path}`).toBe(405);
      expect(headers.get('allow')).toBe(allow);
      expect((body.error as { code: string }).code).toBe('method_not_allowed');
    }
    expect((await fetch(`${service.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    for (const path of ['/healthz/', '/v1/tokens', '/v1/token/x']) {
      const { status, body } = await service.request(path, { method: 'POST' });
      expect(status, `POST ${path}`).toBe(404);
      expect((body.error as { code: string }).code).toBe('not_found');
    }
  });
});

describe('garbage', () => {
  it('answers every generated request with JSON and stays up', async () => {
    const methods = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH');
    const paths = fc.oneof(fc.constantFrom('/v1/token', '/v1/identity', '/healthz', '/v1/admin/identities/x'), fc.webPath());
    const bodies = fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('latin1')));
    const authorizations = fc.oneof(fc.constant(`Bearer ${session}`), fc.string().map((text) => `Bearer ${text.replace(/[\r\n]/g, '')}`), fc.constant(undefined));
    const contentTypes = fc.constantFrom('application/json', 'text/plain', '', 'application/json; charset=latin1');
    await fc.assert(
      fc.asyncProperty(methods, paths, bodies, authorizations, contentTypes, async (method, path, body, authorization, contentType) => {
        const headers: Record<string, string> = {};
        if (authorization !== undefined) headers.authorization = authorization.replace(/[^\x20-\x7e]/g, '');
        if (contentType !== '') headers['content-type'] = contentType;
        const response = await fetch(`${service.url}${path.startsWith('/') ? path : `/${path}`}`, {
          method,
          headers,
          ...(method === 'GET' ? {} : { body }),
        });
        const text = await response.text();
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect((JSON.parse(text) as { error: { code: string } }).error.code).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 200 },
    );
    expect((await service.request('/healthz')).status).toBe(200);
  });
});
