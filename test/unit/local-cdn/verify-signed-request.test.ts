import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { describe, expect, it } from 'vitest';
import { readSignedRequestParameters } from '../../../infra/local/cdn/protocol/signed-request-parameters.ts';
import { verifySignedRequest } from '../../../infra/local/cdn/protocol/verify-signed-request.ts';
import { resourceMatches } from '../../../infra/local/cdn/protocol/policy-resource.ts';
import { decodeCloudFrontBase64 } from '../../../infra/local/cdn/protocol/cloudfront-base64.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const KEY_ID = 'K2JCJMDEHXQW5F';
const OTHER_KEY_ID = 'KOTHERKEY12345';
const trustedKeys = new Map<string, KeyObject>([
  [KEY_ID, createPublicKey(publicKey)],
  [OTHER_KEY_ID, createPublicKey(other.publicKey)],
]);
const CDN = 'http://localhost:4100';
const NOW = new Date('2026-06-01T12:00:00Z');
const seconds = (offset: number) => new Date(NOW.getTime() + offset * 1000);

/** Verifies a signed URL as the CDN does: parameters from the query, resource from the rest. */
function checkUrl(signedUrl: string, options: { sourceIp?: string; now?: Date; requestUrl?: string } = {}): string {
  const url = new URL(options.requestUrl ?? signedUrl);
  const raw = (options.requestUrl ?? signedUrl).slice(url.origin.length);
  const [path = '', query = ''] = splitOnce(raw, '?');
  const { parameters, remainingQuery } = readSignedRequestParameters(query, undefined);
  return outcome(() =>
    verifySignedRequest(parameters, {
      resourceUrl: `${url.origin}${path}${remainingQuery ? `?${remainingQuery}` : ''}`,
      sourceIp: options.sourceIp ?? '127.0.0.1',
      now: options.now ?? NOW,
      trustedKeys,
    }),
  );
}

function checkCookies(cookies: Record<string, string>, path: string, options: { sourceIp?: string; now?: Date } = {}): string {
  const header = Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ');
  const { parameters } = readSignedRequestParameters('', header);
  return outcome(() => verifySignedRequest(parameters, { resourceUrl: `${CDN}${path}`, sourceIp: options.sourceIp ?? '127.0.0.1', now: options.now ?? NOW, trustedKeys }));
}

function outcome(check: () => void): string {
  try {
    check();
    return 'allowed';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, ''] : [text.slice(0, index), text.slice(index + 1)];
}

function replaceParameter(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  const pieces = parsed.search.slice(1).split('&').map((piece) => (piece.startsWith(`${name}=`) ? `${name}=${value}` : piece));
  return `${parsed.origin}${parsed.pathname}?${pieces.join('&')}`;
}

function parameter(url: string, name: string): string {
  return new URL(url).searchParams.get(name)!;
}

function customPolicy(statement: Record<string, unknown>): string {
  return JSON.stringify({ Statement: [statement] });
}

describe.each(['SHA1', 'SHA256'] as const)('signed URLs with %s', (algorithm) => {
  const sign = (options: Partial<Parameters<typeof getSignedUrl>[0]>) =>
    getSignedUrl({ url: `${CDN}/private/a.jpg`, keyPairId: KEY_ID, privateKey, dateLessThan: seconds(600).toISOString(), algorithm, ...options } as Parameters<typeof getSignedUrl>[0]);

  it('a canned policy is allowed until it expires, and refused from its expiry on', () => {
    const url = sign({});
    expect(url).toContain('Expires=');
    expect(url.includes('Hash-Algorithm=SHA256')).toBe(algorithm === 'SHA256');
    expect(checkUrl(url)).toBe('allowed');
    expect(checkUrl(url, { now: seconds(599) })).toBe('allowed');
    expect(checkUrl(url, { now: seconds(600) })).toBe('AccessDenied');
  });

  it('a canned policy names one exact URL: another path or host fails its signature', () => {
    const url = sign({});
    expect(checkUrl(url, { requestUrl: url.replace('/private/a.jpg', '/private/b.jpg') })).toBe('MalformedSignature');
    expect(checkUrl(url, { requestUrl: url.replace('/private/a.jpg', '/private/a.jpgx') })).toBe('MalformedSignature');
    expect(checkUrl(url, { requestUrl: url.replace('localhost:4100', '127.0.0.1:4100') })).toBe('MalformedSignature');
  });

  it('a canned URL with its own query string signs it: adding or changing a parameter is refused', () => {
    const url = sign({ url: `${CDN}/private/a.jpg?response-content-disposition=attachment` });
    expect(checkUrl(url)).toBe('allowed');
    expect(checkUrl(url.replace('attachment', 'inline'))).toBe('MalformedSignature');
    expect(checkUrl(`${url}&extra=1`)).toBe('MalformedSignature');
  });

  it('each signed field tampered is refused', () => {
    const url = sign({});
    expect(checkUrl(replaceParameter(url, 'Expires', String(Number(parameter(url, 'Expires')) + 1)))).toBe('MalformedSignature');
    expect(checkUrl(replaceParameter(url, 'Expires', 'soon'))).toBe('MalformedPolicy');
    const signature = parameter(url, 'Signature');
    const flipped = (signature[10] === 'A' ? 'B' : 'A');
    expect(checkUrl(replaceParameter(url, 'Signature', signature.slice(0, 10) + flipped + signature.slice(11)))).toBe('MalformedSignature');
    expect(checkUrl(replaceParameter(url, 'Signature', signature.slice(0, -4)))).toBe('MalformedSignature');
    expect(checkUrl(replaceParameter(url, 'Signature', 'not base64!'))).toBe('MalformedSignature');
    expect(checkUrl(replaceParameter(url, 'Key-Pair-Id', 'KUNKNOWN000000'))).toBe('InvalidKey');
    expect(checkUrl(replaceParameter(url, 'Key-Pair-Id', OTHER_KEY_ID))).toBe('MalformedSignature');
  });

  it('a custom policy with a wildcard resource, DateGreaterThan and IpAddress', () => {
    const url = sign({ dateGreaterThan: seconds(-60).toISOString(), ipAddress: '127.0.0.0/8' });
    expect(url).toContain('Policy=');
    expect(checkUrl(url)).toBe('allowed');
    expect(checkUrl(url, { sourceIp: '::ffff:127.0.0.9' })).toBe('allowed');
    expect(checkUrl(url, { sourceIp: '10.0.0.1' })).toBe('AccessDenied');
    expect(checkUrl(url, { sourceIp: '::1' })).toBe('AccessDenied');
    expect(checkUrl(url, { now: seconds(-61) })).toBe('AccessDenied');
    expect(checkUrl(url, { now: seconds(600) })).toBe('AccessDenied');
  });

  it('a custom policy whose resource is a wildcard allows what it matches and nothing else', () => {
    const policy = customPolicy({ Resource: `${CDN}/private/photos/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(seconds(600).getTime() / 1000) } } });
    const url = getSignedUrl({ url: `${CDN}/private/photos/a.jpg`, keyPairId: KEY_ID, privateKey, policy, algorithm } as Parameters<typeof getSignedUrl>[0]);
    expect(checkUrl(url)).toBe('allowed');
    expect(checkUrl(url, { requestUrl: url.replace('/photos/a.jpg', '/photos/deep/b.png') })).toBe('allowed');
    // Prefix confusion: photos vs photosx.
    expect(checkUrl(url, { requestUrl: url.replace('/photos/a.jpg', '/photosx/a.jpg') })).toBe('AccessDenied');
    expect(checkUrl(url, { requestUrl: url.replace('/private/photos/a.jpg', '/public/a.jpg') })).toBe('AccessDenied');
  });

  it('a tampered policy is refused, a policy that does not decode is malformed', () => {
    const url = sign({ ipAddress: '10.1.2.3/32' });
    const policyText = decodeCloudFrontBase64(parameter(url, 'Policy'))!.toString('utf8');
    const widened = Buffer.from(policyText.replace('10.1.2.3/32', '0.0.0.0/0')).toString('base64').replaceAll('+', '-').replaceAll('=', '_').replaceAll('/', '~');
    expect(checkUrl(replaceParameter(url, 'Policy', widened))).toBe('MalformedSignature');
    expect(checkUrl(replaceParameter(url, 'Policy', 'abc'))).toBe('MalformedPolicy');
    expect(checkUrl(url)).toBe('AccessDenied');
    expect(checkUrl(url, { sourceIp: '10.1.2.3' })).toBe('allowed');
  });
});

describe('policies CloudFront refuses', () => {
  const signPolicy = (policy: string) => getSignedUrl({ url: `${CDN}/private/a.jpg`, keyPairId: KEY_ID, privateKey, policy, algorithm: 'SHA256' } as Parameters<typeof getSignedUrl>[0]);
  const expiry = Math.floor(seconds(600).getTime() / 1000);

  it.each([
    ['no DateLessThan', customPolicy({ Resource: `${CDN}/*`, Condition: {} })],
    ['DateLessThan as text', customPolicy({ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': String(expiry) } } })],
    ['an unknown condition', customPolicy({ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry }, StringEquals: { a: 'b' } } })],
    ['two statements', JSON.stringify({ Statement: [{ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }, { Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }] })],
    ['a bad CIDR', customPolicy({ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry }, IpAddress: { 'AWS:SourceIp': '300.1.1.1/8' } } })],
    ['a prefix beyond 32', customPolicy({ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry }, IpAddress: { 'AWS:SourceIp': '10.0.0.0/33' } } })],
    ['not JSON', '{"Statement": ['],
  ])('%s is MalformedPolicy even when signed', (_name, policy) => {
    expect(checkUrl(signPolicy(policy))).toBe('MalformedPolicy');
  });

  it('no Key-Pair-Id at all is MissingKey, an unknown Hash-Algorithm is MalformedSignature, no Signature is MalformedSignature', () => {
    const url = signPolicy(customPolicy({ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }));
    expect(checkUrl(`${CDN}/private/a.jpg`)).toBe('MissingKey');
    expect(checkUrl(url.replace(/&?Key-Pair-Id=[^&]*/, ''))).toBe('MissingKey');
    expect(checkUrl(replaceParameter(url, 'Hash-Algorithm', 'MD5'))).toBe('MalformedSignature');
    expect(checkUrl(url.replace(/&?Signature=[^&]*/, ''))).toBe('MalformedSignature');
    expect(checkUrl(url)).toBe('allowed');
  });

  it('a URL signed with SHA256 but presented without Hash-Algorithm is checked as SHA1 and refused', () => {
    const url = signPolicy(customPolicy({ Resource: `${CDN}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }));
    expect(checkUrl(url.replace(/&?Hash-Algorithm=SHA256/, ''))).toBe('MalformedSignature');
  });
});

describe('signed cookies', () => {
  const expiry = Math.floor(seconds(600).getTime() / 1000);
  const cookies = (resource: string, extra: Record<string, unknown> = {}) =>
    getSignedCookies({ keyPairId: KEY_ID, privateKey, policy: customPolicy({ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expiry }, ...extra } }), algorithm: 'SHA256' } as Parameters<typeof getSignedCookies>[0]) as unknown as Record<string, string>;

  it('a wildcard cookie policy reaches every file under its prefix and none beside it', () => {
    const set = cookies(`${CDN}/protected/*/*`);
    expect(checkCookies(set, '/protected/us-east-1:abc/a.jpg')).toBe('allowed');
    expect(checkCookies(set, '/protected/a.jpg')).toBe('AccessDenied');
    expect(checkCookies(set, '/private/us-east-1:abc/a.jpg')).toBe('AccessDenied');
    expect(checkCookies(set, '/protected/x/a.jpg', { now: seconds(601) })).toBe('AccessDenied');
  });

  it('tampered cookies are refused, cookies of an unknown key are InvalidKey', () => {
    const set = cookies(`${CDN}/private/*`);
    expect(checkCookies({ ...set, 'CloudFront-Signature': set['CloudFront-Signature']!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, '/private/a')).toBe('MalformedSignature');
    expect(checkCookies({ ...set, 'CloudFront-Key-Pair-Id': 'KNOPE' }, '/private/a')).toBe('InvalidKey');
    expect(checkCookies({ ...set, 'CloudFront-Hash-Algorithm': 'SHA1' }, '/private/a')).toBe('MalformedSignature');
    const { 'CloudFront-Key-Pair-Id': _dropped, ...withoutKey } = set;
    expect(checkCookies(withoutKey, '/private/a')).toBe('MissingKey');
    expect(checkCookies(set, '/private/a')).toBe('allowed');
  });

  it('a canned cookie (CloudFront-Expires) names the exact URL', () => {
    const set = getSignedCookies({ url: `${CDN}/private/a.jpg`, keyPairId: KEY_ID, privateKey, dateLessThan: seconds(600).toISOString() }) as unknown as Record<string, string>;
    expect(set['CloudFront-Expires']).toBeDefined();
    expect(checkCookies(set, '/private/a.jpg')).toBe('allowed');
    expect(checkCookies(set, '/private/b.jpg')).toBe('MalformedSignature');
  });

  it('signing parameters in the query string win over cookies', () => {
    const set = cookies(`${CDN}/private/*`);
    const header = Object.entries(set).map(([name, value]) => `${name}=${value}`).join('; ');
    const { parameters } = readSignedRequestParameters('Key-Pair-Id=KUNKNOWN', header);
    expect(parameters?.source).toBe('query');
    expect(outcome(() => verifySignedRequest(parameters, { resourceUrl: `${CDN}/private/a`, sourceIp: '127.0.0.1', now: NOW, trustedKeys }))).toBe('InvalidKey');
  });
});

describe('resource wildcards', () => {
  it.each([
    ['https://d.net/a/*', 'https://d.net/a/b/c', true],
    ['https://d.net/a/*', 'https://d.net/a', false],
    ['https://d.net/a/?.jpg', 'https://d.net/a/x.jpg', true],
    ['https://d.net/a/?.jpg', 'https://d.net/a/xy.jpg', false],
    ['*', 'anything', true],
    ['https://d.net/A/*', 'https://d.net/a/b', false],
    ['https://d.net/*/x', 'https://d.net/a/b/x', true],
    ['https://d.net/a*b*c*d*e*f*g', `https://d.net/${'a'.repeat(5000)}`, false],
  ])('%s against %s is %s', (pattern, url, expected) => {
    expect(resourceMatches(pattern, url)).toBe(expected);
  });
});

describe('CloudFront base64', () => {
  it('decodes the URL-safe alphabet and refuses anything else', () => {
    expect(decodeCloudFrontBase64('-~__')).toEqual(Buffer.from('+/==', 'base64'));
    expect(decodeCloudFrontBase64('ab+/')).toBeUndefined();
    expect(decodeCloudFrontBase64('abc')).toBeUndefined();
    expect(decodeCloudFrontBase64('a_bc')).toBeUndefined();
    expect(decodeCloudFrontBase64('')).toBeUndefined();
  });
});
