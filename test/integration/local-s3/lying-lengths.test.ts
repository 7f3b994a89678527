import { createHash } from 'node:crypto';
import { CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { errorCode, sendRaw, signHeaders, type RawResponse } from './raw-requests.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

/**
 * Every body-taking operation, sent bodies whose declared lengths lie. Before the fix, an
 * abandoned aws-chunked decoder failed with no listener and took the whole process down after
 * the error answer had gone out, so each case ends by checking the server still answers.
 */
let s3: LocalS3;
let uploadId: string;
beforeAll(async () => {
  s3 = await startLocalS3();
  const created = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}lying/multipart.bin` }));
  uploadId = created.UploadId ?? '';
});
afterAll(() => s3.close());

const encodedPrefix = (): string => encodeURIComponent(s3.alice.prefix.slice(0, -1)).replace(/%2F/g, '/');

interface BodyTakingOperation {
  name: string;
  method: string;
  path: () => string;
  query: () => Record<string, string>;
}

const operations: BodyTakingOperation[] = [
  { name: 'PutObject', method: 'PUT', path: () => `/${BUCKET}/${encodedPrefix()}/lying/put.bin`, query: () => ({}) },
  { name: 'UploadPart', method: 'PUT', path: () => `/${BUCKET}/${encodedPrefix()}/lying/multipart.bin`, query: () => ({ partNumber: '1', uploadId }) },
  { name: 'CompleteMultipartUpload', method: 'POST', path: () => `/${BUCKET}/${encodedPrefix()}/lying/multipart.bin`, query: () => ({ uploadId }) },
  { name: 'DeleteObjects', method: 'POST', path: () => `/${BUCKET}/`, query: () => ({ delete: '' }) },
];

interface LyingBody {
  name: string;
  headers: Record<string, string>;
  body: Buffer;
}

const tinyChunkedBody = Buffer.from('0\r\n\r\n');
const lyingBodies: LyingBody[] = [
  {
    name: 'aws-chunked, decoded length far over any limit, body empty',
    headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '999999999999999', 'content-length': String(tinyChunkedBody.length) },
    body: tinyChunkedBody,
  },
  {
    name: 'aws-chunked, decoded length over the XML body limits, with a Content-MD5',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': '3000000',
      'content-md5': createHash('md5').update('').digest('base64'),
      'content-length': String(tinyChunkedBody.length),
    },
    body: tinyChunkedBody,
  },
  {
    name: 'aws-chunked, decoded length 0 but a chunk of data',
    headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '0', 'content-length': '13' },
    body: Buffer.from('3\r\nabc\r\n0\r\n\r\n'),
  },
  {
    name: 'aws-chunked, decoded length larger than the chunks carry',
    headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '10', 'content-length': '13' },
    body: Buffer.from('3\r\nabc\r\n0\r\n\r\n'),
  },
  {
    name: 'signed payload whose hash is not the body',
    headers: { 'x-amz-content-sha256': createHash('sha256').update('something else').digest('hex'), 'content-length': '5' },
    body: Buffer.from('hello'),
  },
];

async function expectStillServing(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const key = `${s3.alice.prefix}alive-${Date.now()}.txt`;
  await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'alive' }));
  const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  expect(await got.Body?.transformToString()).toBe('alive');
}

describe('declared lengths that disagree with the body never crash the server', () => {
  for (const operation of operations) {
    for (const lying of lyingBodies) {
      test(`${operation.name}: ${lying.name} gets a 4xx with S3's code, and the server still answers`, async () => {
        const path = operation.path();
        const query = operation.query();
        const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: operation.method, path, query, headers: lying.headers });
        const search = new URLSearchParams(query).toString().replace(/=(&|$)/g, '$1');
        const response = (await sendRaw(s3.endpoint, { method: operation.method, path: `${path}${search ? `?${search}` : ''}`, headers, body: lying.body })) as RawResponse;
        expect(response.status, response.body).toBeGreaterThanOrEqual(400);
        expect(response.status, response.body).toBeLessThan(500);
        expect(errorCode(response)).toMatch(/^[A-Za-z0-9]+$/);
        await expectStillServing();
      });
    }
  }

  test('no staged body is left behind by any of them', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await unreferencedBlobs(s3.dataDirectory)).toEqual([]);
  });

  test('DeleteObjects by a caller with no S3 permission at all (it reads the body before deciding per key), with a lying length, is a 4xx and harmless', async () => {
    const outsider = { ...s3.bob.credentials, accessKeyId: 'ASIAOUTSIDER0000000', sessionContext: { 'cognito-identity.amazonaws.com:sub': 'nobody' } };
    s3.addCredentials(outsider);
    const path = `/${BUCKET}/`;
    const [, overXmlLimit] = lyingBodies;
    if (!overXmlLimit) throw new Error('the case list changed');
    const headers = await signHeaders(outsider, s3.endpoint, { method: 'POST', path, query: { delete: '' }, headers: overXmlLimit.headers });
    const response = (await sendRaw(s3.endpoint, { method: 'POST', path: `${path}?delete`, headers, body: overXmlLimit.body })) as RawResponse;
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectStillServing();
  });
});
