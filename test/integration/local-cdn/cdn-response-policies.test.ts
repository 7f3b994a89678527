import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDN_CONTENT_SECURITY_POLICY } from '../../../infra/construct/storage-delivery.ts';
import { errorCode, startLocalCdnFixture, type LocalCdnFixture } from './local-cdn-fixture.ts';

let fixture: LocalCdnFixture;
let publicHtml: string;
let publicText: string;
let privateText: string;

beforeAll(async () => {
  fixture = await startLocalCdnFixture();
  publicHtml = `public/${fixture.bob.identityId}/evil.html`;
  publicText = `public/${fixture.alice.identityId}/notice.txt`;
  privateText = `${fixture.alice.prefix}letter.txt`;
  await fixture.put(fixture.bob, publicHtml, '<script>fetch("/users/")</script>', 'text/html');
  await fixture.put(fixture.alice, publicText, 'a public notice');
  await fixture.put(fixture.alice, privateText, '0123456789');
});

afterAll(async () => {
  await fixture?.close();
});

/** The headers of the stack's response headers policy, in the form CloudFront writes them. */
const POLICY_HEADERS = {
  'content-security-policy': CDN_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'strict-transport-security': 'max-age=31536000',
  'x-xss-protection': '1; mode=block',
};

function policyHeadersOf(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(Object.keys(POLICY_HEADERS).map((name) => [name, headers.get(name)]));
}

describe('the response headers policy of the template on every answer', () => {
  it('an uploaded HTML file on the unsigned behaviour is sandboxed by the CSP, on a miss and on a hit', async () => {
    for (const expected of ['Miss from cloudfront', 'Hit from cloudfront']) {
      const response = await fetch(`${fixture.cdnUrl}/${publicHtml}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-cache')).toBe(expected);
      expect(response.headers.get('content-type')).toBe('text/html');
      expect(policyHeadersOf(response.headers)).toEqual(POLICY_HEADERS);
      await response.body?.cancel();
    }
  });

  it('signed answers, range answers, 304s, HEADs and preflights carry the same headers', async () => {
    const signed = await fetch(fixture.signUrl(privateText));
    expect(signed.status).toBe(200);
    expect(policyHeadersOf(signed.headers)).toEqual(POLICY_HEADERS);
    const etag = signed.headers.get('etag')!;
    const ranged = await fetch(fixture.signUrl(privateText), { headers: { range: 'bytes=0-1' } });
    expect(ranged.status).toBe(206);
    expect(policyHeadersOf(ranged.headers)).toEqual(POLICY_HEADERS);
    const notModified = await fetch(fixture.signUrl(privateText), { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(policyHeadersOf(notModified.headers)).toEqual(POLICY_HEADERS);
    const head = await fetch(`${fixture.cdnUrl}/${publicText}`, { method: 'HEAD' });
    expect(policyHeadersOf(head.headers)).toEqual(POLICY_HEADERS);
    const preflight = await fetch(`${fixture.cdnUrl}/${publicText}`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' } });
    expect(policyHeadersOf(preflight.headers)).toEqual(POLICY_HEADERS);
  });

  it('error answers carry them too: a missing signature, a refused origin read, a refused method', async () => {
    const missingKey = await fetch(`${fixture.cdnUrl}/${privateText}`);
    expect(errorCode(await missingKey.text())).toBe('MissingKey');
    expect(policyHeadersOf(missingKey.headers)).toEqual(POLICY_HEADERS);
    const refused = await fetch(`${fixture.cdnUrl}/public/no-identity.txt`);
    expect(errorCode(await refused.text())).toBe('AccessDenied');
    expect(policyHeadersOf(refused.headers)).toEqual(POLICY_HEADERS);
    const post = await fetch(`${fixture.cdnUrl}/${publicText}`, { method: 'POST', body: 'x' });
    expect(errorCode(await post.text())).toBe('MethodNotAllowed');
    expect(policyHeadersOf(post.headers)).toEqual(POLICY_HEADERS);
  });

  it('the headers come from the template: the distribution the local CDN runs carries them per behaviour', () => {
    const distribution = fixture.composed.cloud.deployment.distribution!;
    expect(distribution.behaviours.length).toBeGreaterThanOrEqual(2);
    for (const behaviour of distribution.behaviours) {
      const csp = behaviour.policyHeaders.find((header) => header.name === 'content-security-policy');
      expect(csp, behaviour.pathPattern ?? 'default').toEqual({ name: 'content-security-policy', value: CDN_CONTENT_SECURITY_POLICY, override: true });
    }
  });
});

describe('response-content-disposition reaches the origin only where the cache policy forwards it', () => {
  const attachment = 'response-content-disposition=attachment%3B%20filename%3D%22x.html%22';

  it('the unsigned behaviour (CachingOptimized forwards no query string) ignores it, cached or not', async () => {
    const key = `public/${fixture.alice.identityId}/page.html`;
    await fixture.put(fixture.alice, key, '<p>inline</p>', 'text/html');
    for (const attempt of ['miss', 'hit']) {
      const response = await fetch(`${fixture.cdnUrl}/${key}?${attachment}`);
      expect(response.status, attempt).toBe(200);
      expect(response.headers.get('content-disposition'), attempt).toBeNull();
      expect(await response.text()).toBe('<p>inline</p>');
    }
    expect(fixture.composed.cloud.deployment.distribution!.behaviours.find((behaviour) => behaviour.pathPattern === '/public/*')?.forwardedQueryStrings).toEqual({ kind: 'none' });
  });

  it('the signed default behaviour (its cache policy lists it) forwards it: the signed link gets the header, cached or not', async () => {
    for (const attempt of ['first', 'second']) {
      const response = await fetch(fixture.signUrl(privateText, { query: attachment }));
      expect(response.status, attempt).toBe(200);
      expect(response.headers.get('content-disposition'), attempt).toBe('attachment; filename="x.html"');
    }
    const plain = await fetch(fixture.signUrl(privateText));
    expect(plain.headers.get('content-disposition')).toBeNull();
    expect(fixture.composed.cloud.deployment.distribution!.behaviours.at(-1)?.forwardedQueryStrings).toEqual({ kind: 'allowList', names: ['response-content-disposition'] });
  });
});

describe('If-Range (RFC 9110 13.1.5)', () => {
  async function ranged(ifRange: string, range = 'bytes=2-4'): Promise<{ status: number; body: string; contentRange: string | null }> {
    const response = await fetch(fixture.signUrl(privateText), { headers: { range, 'if-range': ifRange } });
    return { status: response.status, body: await response.text(), contentRange: response.headers.get('content-range') };
  }

  let etag: string;
  let lastModified: string;
  beforeAll(async () => {
    const response = await fetch(fixture.signUrl(privateText), { method: 'HEAD' });
    etag = response.headers.get('etag')!;
    lastModified = response.headers.get('last-modified')!;
  });

  it('the current entity tag: the range, 206', async () => {
    expect(await ranged(etag)).toEqual({ status: 206, body: '234', contentRange: 'bytes 2-4/10' });
  });

  it('another entity tag: the whole object, 200, no Content-Range', async () => {
    expect(await ranged('"0123456789abcdef0123456789abcdef"')).toEqual({ status: 200, body: '0123456789', contentRange: null });
  });

  it('the current tag as a weak tag never matches (strong comparison): 200', async () => {
    expect(await ranged(`W/${etag}`)).toEqual({ status: 200, body: '0123456789', contentRange: null });
  });

  it('exactly the Last-Modified date: 206; any other date: 200', async () => {
    expect((await ranged(lastModified)).status).toBe(206);
    expect(await ranged(new Date(Date.parse(lastModified) - 1000).toUTCString())).toEqual({ status: 200, body: '0123456789', contentRange: null });
    expect(await ranged(new Date(Date.parse(lastModified) + 1000).toUTCString())).toEqual({ status: 200, body: '0123456789', contentRange: null });
  });

  it('a stale If-Range with a range outside the object: the whole object, not 416', async () => {
    expect(await ranged('"stale"', 'bytes=100-')).toEqual({ status: 200, body: '0123456789', contentRange: null });
    expect((await ranged(etag, 'bytes=100-')).status).toBe(416);
  });

  it('hostile If-Range values never match and never fail: the whole object, and the CDN keeps answering', async () => {
    for (const hostile of ['', 'W/', '"', '""', '*', 'garbage', `"${'a'.repeat(8000)}"`, 'Thu, 01 Jan 1970 00:00:00 GMT', '99999999999999999999', `${etag}, ${etag}`]) {
      expect(await ranged(hostile), JSON.stringify(hostile.slice(0, 40))).toEqual({ status: 200, body: '0123456789', contentRange: null });
    }
    expect((await ranged(etag)).status).toBe(206);
  });

  it('after an overwrite the old tag no longer holds: 200 with the new bytes', async () => {
    const key = `${fixture.alice.prefix}changing.txt`;
    await fixture.put(fixture.alice, key, 'first version');
    const oldTag = (await fetch(fixture.signUrl(key), { method: 'HEAD' })).headers.get('etag')!;
    await fixture.put(fixture.alice, key, 'second version');
    // HEAD is never cached, so this GET reads the second version from the origin.
    const response = await fetch(fixture.signUrl(key), { headers: { range: 'bytes=0-5', 'if-range': oldTag } });
    expect(response.headers.get('etag')).not.toBe(oldTag);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('second version');
  });
});
