import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { describe, expect, test } from 'vitest';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { AwsChunkedDecoder } from '../../../infra/local/sigv4/decode-aws-chunked-body.ts';
import { splitRequestTarget, type SignedRequestParts } from '../../../infra/local/sigv4/signed-request.ts';
import { SigV4Error } from '../../../infra/local/sigv4/sigv4-error.ts';
import { verifySigV4, type SigV4VerificationOptions } from '../../../infra/local/sigv4/verify-sigv4.ts';

const credentials: IssuedCredentials = {
  accessKeyId: 'ASIATESTKEY',
  secretAccessKey: randomBytes(30).toString('base64'),
  sessionToken: randomBytes(40).toString('base64'),
  expiration: new Date(Date.now() + 3600_000).toISOString(),
  roleArn: 'arn:aws:iam::000000000000:role/R',
  sessionArn: 'arn:aws:sts::000000000000:assumed-role/R/s',
  userId: 'AROA:s',
  sessionContext: {},
};

function signer(service: string, uriEscapePath: boolean, secret = credentials.secretAccessKey, applyChecksum = true): SignatureV4 {
  return new SignatureV4({
    service,
    applyChecksum,
    region: 'us-east-1',
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: secret, sessionToken: credentials.sessionToken },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath,
  });
}

function options(overrides: Partial<SigV4VerificationOptions> = {}): SigV4VerificationOptions {
  return {
    service: 's3',
    region: 'us-east-1',
    credentials: { findByAccessKeyId: (id) => (id === credentials.accessKeyId ? credentials : undefined) },
    now: new Date(),
    doubleEncodePath: false,
    ...overrides,
  };
}

/** Turns what the SDK signer produced into what the server receives. */
function asReceived(request: HttpRequest): SignedRequestParts {
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) => (Array.isArray(value) ? value.map((item) => [name, item]) : [[name, value ?? '']]))
    .map(([name, value]) => `${encodeURIComponent(name as string)}=${encodeURIComponent(value as string)}`)
    .join('&');
  const target = splitRequestTarget(query === '' ? request.path : `${request.path}?${query}`);
  return { method: request.method, rawPath: target.rawPath, query: target.query, headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])) };
}

const baseRequest = (): HttpRequest => ({
  method: 'PUT',
  protocol: 'https:',
  hostname: 'localhost',
  path: '/bucket/users/a%20b/%C3%A4.txt',
  query: { 'x-id': 'PutObject' },
  headers: { host: 'localhost:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-type': 'text/plain' },
});

async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof SigV4Error ? error.code : String(error)),
  );
}

describe('verifySigV4', () => {
  test('accepts a request signed by @smithy/signature-v4 in the Authorization header and reports who signed it', async () => {
    const signed = await signer('s3', false).sign(baseRequest());
    const verified = await verifySigV4(asReceived(signed), options());
    expect(verified?.caller.accessKeyId).toBe(credentials.accessKeyId);
    expect(verified?.authorization.location).toBe('header');
    expect(verified?.payload).toEqual({ kind: 'unsigned' });
  });

  test('accepts a pre-signed URL and refuses it once expired', async () => {
    const signingDate = new Date();
    const presigned = await signer('s3', false).presign(baseRequest(), { expiresIn: 60, signingDate });
    expect((await verifySigV4(asReceived(presigned), options()))?.authorization.location).toBe('query');
    expect(await rejection(verifySigV4(asReceived(presigned), options({ now: new Date(signingDate.getTime() + 61_000) })))).toBe('AccessDenied');
  });

  test('returns undefined for anonymous requests', async () => {
    expect(await verifySigV4(asReceived(baseRequest()), options())).toBeUndefined();
  });

  test.each([
    ['a changed header', (request: SignedRequestParts) => ({ ...request, headers: { ...request.headers, 'content-type': 'text/html' } })],
    ['a changed path', (request: SignedRequestParts) => ({ ...request, rawPath: '/bucket/users/other.txt' })],
    ['an added query parameter', (request: SignedRequestParts) => ({ ...request, query: [...request.query, ['uploads', ''] as [string, string]] })],
    ['a changed method', (request: SignedRequestParts) => ({ ...request, method: 'DELETE' })],
  ])('%s is SignatureDoesNotMatch', async (_name, tamper) => {
    const signed = asReceived(await signer('s3', false).sign(baseRequest()));
    expect(await rejection(verifySigV4(tamper(signed), options()))).toBe('SignatureDoesNotMatch');
  });

  test('credential failures: unknown key, wrong secret, expired credentials, wrong token, skewed clock', async () => {
    const signed = asReceived(await signer('s3', false).sign(baseRequest()));
    expect(await rejection(verifySigV4(signed, options({ credentials: { findByAccessKeyId: () => undefined } })))).toBe('InvalidAccessKeyId');
    expect(await rejection(verifySigV4(asReceived(await signer('s3', false, 'wrong').sign(baseRequest())), options()))).toBe('SignatureDoesNotMatch');
    const expired = { ...credentials, expiration: new Date(Date.now() - 1000).toISOString() };
    expect(await rejection(verifySigV4(signed, options({ credentials: { findByAccessKeyId: () => expired } })))).toBe('ExpiredToken');
    const otherToken = { ...credentials, sessionToken: 'different' };
    expect(await rejection(verifySigV4(signed, options({ credentials: { findByAccessKeyId: () => otherToken } })))).toBe('InvalidToken');
    expect(await rejection(verifySigV4(signed, options({ now: new Date(Date.now() + 16 * 60_000) })))).toBe('RequestTimeTooSkewed');
  });

  test('unsigned x-amz-* headers are refused', async () => {
    const signed = asReceived(await signer('s3', false).sign(baseRequest()));
    expect(await rejection(verifySigV4({ ...signed, headers: { ...signed.headers, 'x-amz-meta-injected': 'x' } }, options()))).toBe('AccessDenied');
  });

  test('other services: the path is encoded twice and the body hash comes from the caller', async () => {
    const body = '{"IdentityPoolId":"x"}';
    const request: HttpRequest = {
      method: 'POST',
      protocol: 'https:',
      hostname: 'localhost',
      path: '/',
      query: {},
      headers: { host: 'localhost', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.GetId' },
      body,
    };
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    const otherSha256 = createHash('sha256').update('other').digest('hex');
    const cognito = (hash: string): SigV4VerificationOptions => options({ service: 'cognito-identity', doubleEncodePath: true, bodySha256: hash });
    const withoutHashHeader = asReceived(await signer('cognito-identity', true, credentials.secretAccessKey, false).sign(request));
    expect((await verifySigV4(withoutHashHeader, cognito(bodySha256)))?.payload).toEqual({ kind: 'signed', sha256: bodySha256 });
    expect(await rejection(verifySigV4(withoutHashHeader, cognito(otherSha256)))).toBe('SignatureDoesNotMatch');
    const withHashHeader = asReceived(await signer('cognito-identity', true).sign(request));
    expect((await verifySigV4(withHashHeader, cognito(bodySha256)))?.caller.accessKeyId).toBe(credentials.accessKeyId);
    expect(await rejection(verifySigV4(withHashHeader, cognito(otherSha256)))).toBe('XAmzContentSHA256Mismatch');
  });
});

describe('AwsChunkedDecoder', () => {
  async function decode(encoded: string, decoder = new AwsChunkedDecoder()): Promise<{ body: string; trailers: Map<string, string> } | string> {
    const chunks: Buffer[] = [];
    try {
      // Feed one byte at a time to exercise every split point of the framing.
      for await (const chunk of Readable.from([...Buffer.from(encoded)].map((byte) => Buffer.from([byte]))).pipe(decoder)) chunks.push(chunk as Buffer);
    } catch (error) {
      return error instanceof SigV4Error ? error.code : String(error);
    }
    return { body: Buffer.concat(chunks).toString(), trailers: decoder.trailers as Map<string, string> };
  }

  test('decodes unsigned chunks with a trailer, split anywhere', async () => {
    const result = await decode('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n', new AwsChunkedDecoder({ declaredLength: 11 }));
    expect(result).toEqual({ body: 'hello world', trailers: new Map([['x-amz-checksum-crc32', 'DUoRhQ==']]) });
  });

  test.each([
    ['a body that stops early', '5\r\nhello\r\n', 'IncompleteBody'],
    ['a chunk longer than declared', '2\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['a bad size line', 'zz\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data after the final chunk', '0\r\n\r\nextra', 'InvalidRequest'],
  ])('refuses %s', async (_name, encoded, code) => {
    expect(await decode(encoded)).toBe(code);
  });

  test('refuses a decoded length other than x-amz-decoded-content-length', async () => {
    expect(await decode('5\r\nhello\r\n0\r\n\r\n', new AwsChunkedDecoder({ declaredLength: 6 }))).toBe('IncompleteBody');
  });
});
