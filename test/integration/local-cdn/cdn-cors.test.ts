import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDN_EXPOSED_HEADERS } from '../../../infra/construct/storage-delivery.ts';
import { DEFAULT_LOCAL_ORIGIN } from '../../../infra/stack/build-stack.ts';
import { startLocalCdnFixture, type LocalCdnFixture } from './local-cdn-fixture.ts';

/**
 * CORS on the local CDN comes from the distribution's response headers policy in the template
 * (the app's origins, GET and HEAD, credentials), as CloudFront answers it, not from the bucket's
 * CORS rules (which also allow PUT, POST and DELETE for the S3 API).
 */
let fixture: LocalCdnFixture;
let privateKey: string;
let publicKey: string;
const OTHER_ORIGIN = 'https://evil.example.com';

beforeAll(async () => {
  fixture = await startLocalCdnFixture();
  privateKey = `${fixture.alice.prefix}cors.txt`;
  publicKey = `public/${fixture.alice.identityId}/cors.txt`;
  await fixture.put(fixture.alice, privateKey, 'private bytes');
  await fixture.put(fixture.alice, publicKey, 'public bytes');
});

afterAll(async () => {
  await fixture?.close();
});

function preflight(path: string, origin: string, method: string, requestHeaders?: string): Promise<Response> {
  return fetch(`${fixture.cdnUrl}/${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}) },
  });
}

function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));
}

describe('preflights', () => {
  it('from an allowed origin: 200 with credentials allowed, GET and HEAD, for signed and public paths alike', async () => {
    for (const path of [privateKey, publicKey]) {
      const answer = await preflight(path, DEFAULT_LOCAL_ORIGIN, 'GET', 'range, if-none-match');
      expect(answer.status, path).toBe(200);
      expect(corsHeaders(answer)).toEqual({
        'access-control-allow-origin': DEFAULT_LOCAL_ORIGIN,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'range, if-none-match',
        'access-control-max-age': '600',
      });
      expect(answer.headers.get('vary')).toBe('Origin');
    }
  });

  it('from another origin, or a prefix-sharing look-alike of the allowed one: refused with no CORS headers', async () => {
    for (const origin of [OTHER_ORIGIN, `${DEFAULT_LOCAL_ORIGIN}.evil.example.com`, DEFAULT_LOCAL_ORIGIN.replace('http:', 'https:'), 'null']) {
      const answer = await preflight(privateKey, origin, 'GET');
      expect(answer.status, origin).toBe(403);
      expect(corsHeaders(answer), origin).toEqual({});
    }
  });

  it('for a method or header the policy does not list (the bucket\'s rules would allow PUT, DELETE and its S3 headers): refused with no CORS headers', async () => {
    for (const [method, headers] of [['PUT', undefined], ['DELETE', undefined], ['POST', undefined], ['GET', 'x-amz-copy-source'], ['GET', 'range, authorization']] as const) {
      const answer = await preflight(privateKey, DEFAULT_LOCAL_ORIGIN, method, headers);
      expect(answer.status, `${method} ${headers}`).toBe(403);
      expect(corsHeaders(answer)).toEqual({});
    }
  });

  it('without Access-Control-Request-Method is no preflight: refused', async () => {
    const answer = await fetch(`${fixture.cdnUrl}/${privateKey}`, { method: 'OPTIONS', headers: { origin: DEFAULT_LOCAL_ORIGIN } });
    expect(answer.status).toBe(403);
    expect(corsHeaders(answer)).toEqual({});
  });
});

describe('simple requests', () => {
  it('from an allowed origin: the file with credentials allowed and the object headers exposed', async () => {
    for (const url of [fixture.signUrl(privateKey), `${fixture.cdnUrl}/${publicKey}`]) {
      const answer = await fetch(url, { headers: { origin: DEFAULT_LOCAL_ORIGIN } });
      expect(answer.status).toBe(200);
      expect(corsHeaders(answer)).toEqual({
        'access-control-allow-origin': DEFAULT_LOCAL_ORIGIN,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': CDN_EXPOSED_HEADERS.join(', '),
      });
      await answer.arrayBuffer();
    }
  });

  it('with cookies from an allowed origin: served with credentials allowed (the photo grid\'s request)', async () => {
    const answer = await fetch(`${fixture.cdnUrl}/${privateKey}`, { headers: { origin: DEFAULT_LOCAL_ORIGIN, cookie: fixture.signCookies(`${fixture.alice.prefix}*`) } });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('private bytes');
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('from another origin: no CORS headers, so a page there cannot read the answer', async () => {
    const answer = await fetch(fixture.signUrl(privateKey), { headers: { origin: OTHER_ORIGIN } });
    expect(answer.status).toBe(200);
    expect(corsHeaders(answer)).toEqual({});
    await answer.arrayBuffer();
  });

  it('a refused request gets no CORS headers either', async () => {
    const answer = await fetch(`${fixture.cdnUrl}/${privateKey}`, { headers: { origin: DEFAULT_LOCAL_ORIGIN } });
    expect(answer.status).toBe(403);
    expect(corsHeaders(answer)).toEqual({});
  });
});
