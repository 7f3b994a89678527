import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALLOWED_ORIGIN, BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { errorCode, sendRaw, signHeaders } from './raw-requests.ts';

let s3: LocalS3;
let withoutCors: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
  withoutCors = await startLocalS3({ buckets: [{ name: BUCKET }] });
});
afterAll(async () => {
  await s3.close();
  await withoutCors.close();
});

const preflight = (target: LocalS3, origin: string, method: string, requestHeaders: string) =>
  sendRaw(target.endpoint, {
    method: 'OPTIONS',
    path: `/${BUCKET}/users/someone/file.txt`,
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders },
  });

describe('CORS from the bucket rules', () => {
  test('a preflight the rules allow is answered with the allowed origin, methods, headers and max age', async () => {
    const response = await preflight(s3, ALLOWED_ORIGIN, 'PUT', 'authorization, content-type, x-amz-date, x-amz-content-sha256, x-amz-security-token, amz-sdk-invocation-id');
    if (response === 'destroyed') throw new Error('destroyed');
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(response.headers['access-control-allow-methods']).toContain('PUT');
    expect(response.headers['access-control-allow-headers']).toContain('x-amz-security-token');
    expect(response.headers['access-control-max-age']).toBe('3000');
    expect(response.headers['access-control-expose-headers']).toContain('ETag');
    expect(response.headers.vary).toContain('Origin');
  });

  test('a preflight from another origin, or with a header no rule allows, is 403 "This CORS request is not allowed"', async () => {
    for (const response of [await preflight(s3, 'https://evil.example', 'PUT', 'content-type'), await preflight(s3, ALLOWED_ORIGIN, 'PUT', 'x-custom-header')]) {
      expect(response !== 'destroyed' && response.status).toBe(403);
      expect(response !== 'destroyed' && response.body).toContain('This CORS request is not allowed');
    }
  });

  test('a bucket without CORS rules answers preflights 403 "CORS is not enabled for this bucket"', async () => {
    const response = await preflight(withoutCors, ALLOWED_ORIGIN, 'GET', '');
    expect(response !== 'destroyed' && response.status).toBe(403);
    expect(response !== 'destroyed' && response.body).toContain('CORS is not enabled for this bucket');
  });

  test('actual responses (errors included) carry Access-Control-Allow-Origin and expose ETag for an allowed origin only', async () => {
    const path = `/${BUCKET}/${encodeURIComponent(s3.alice.prefix.slice(0, -1)).replace(/%2F/g, '/')}/cors.txt`;
    const body = Buffer.from('cors');
    const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'PUT', path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '4' } });
    const allowed = await sendRaw(s3.endpoint, { method: 'PUT', path, headers: { ...headers, origin: ALLOWED_ORIGIN }, body });
    if (allowed === 'destroyed') throw new Error('destroyed');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-expose-headers']).toContain('ETag');
    const denied = await sendRaw(s3.endpoint, { method: 'GET', path: `/${BUCKET}/users/other/x`, headers: { origin: ALLOWED_ORIGIN } });
    expect(errorCode(denied)).toBe('AccessDenied');
    expect(denied !== 'destroyed' && denied.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const foreign = await sendRaw(s3.endpoint, { method: 'GET', path: `/${BUCKET}/users/other/x`, headers: { origin: 'https://evil.example' } });
    expect(foreign !== 'destroyed' && foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});
