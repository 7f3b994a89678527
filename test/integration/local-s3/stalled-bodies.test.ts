import { createHash } from 'node:crypto';
import { CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { errorCode, sendRaw, signHeaders, type RawResponse } from './raw-requests.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

/** A client that declares a body and then stops sending it gets S3's 400 RequestTimeout, and nothing is stored. */
const IDLE_TIMEOUT_MS = 300;

let s3: LocalS3;
let uploadId: string;
beforeAll(async () => {
  s3 = await startLocalS3({ bodyIdleTimeoutMs: IDLE_TIMEOUT_MS });
  const created = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}stalled/multipart.bin` }));
  uploadId = created.UploadId ?? '';
});
afterAll(() => s3.close());

const encodedPrefix = (): string => encodeURIComponent(s3.alice.prefix.slice(0, -1)).replace(/%2F/g, '/');

async function sendStalled(method: string, path: string, query: Record<string, string>, extraHeaders: Record<string, string>, sent: Buffer, declaredLength: number): Promise<RawResponse> {
  const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method, path, query, headers: { 'content-length': String(declaredLength), ...extraHeaders } });
  const search = new URLSearchParams(query).toString().replace(/=(&|$)/g, '$1');
  // The request is ended after `sent`: the rest of the declared length never comes, the connection stays open.
  return (await sendRaw(s3.endpoint, { method, path: `${path}${search ? `?${search}` : ''}`, headers, body: sent })) as RawResponse;
}

describe('stalled request bodies', () => {
  test('PutObject whose body stops half-way: 400 RequestTimeout after the idle timeout, no object, no staged file', async () => {
    const started = Date.now();
    const response = await sendStalled('PUT', `/${BUCKET}/${encodedPrefix()}/stalled/put.bin`, {}, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, Buffer.alloc(100, 1), 1000);
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('RequestTimeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 50);
    const listed = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${s3.alice.prefix}stalled/put` }));
    expect(listed.KeyCount).toBe(0);
    expect(await unreferencedBlobs(s3.dataDirectory)).toEqual([]);
  });

  test('UploadPart with an aws-chunked body that stalls mid-chunk: 400 RequestTimeout', async () => {
    const response = await sendStalled(
      'PUT',
      `/${BUCKET}/${encodedPrefix()}/stalled/multipart.bin`,
      { partNumber: '1', uploadId },
      { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '100' },
      Buffer.from('64\r\nabc'),
      200,
    );
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('RequestTimeout');
  });

  test('DeleteObjects whose XML body stalls: 400 RequestTimeout', async () => {
    const document = Buffer.from('<Delete><Object><Key>a</Key></Object></Delete>');
    const response = await sendStalled('POST', `/${BUCKET}/`, { delete: '' }, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-md5': createHash('md5').update(document).digest('base64') }, document.subarray(0, 10), document.length);
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('RequestTimeout');
  });

  test('a slow body that keeps arriving is not cut off', async () => {
    const key = `${s3.alice.prefix}stalled/slow-but-alive.bin`;
    const path = `/${BUCKET}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    const pieces = Array.from({ length: 5 }, (_, index) => Buffer.alloc(10, index));
    const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'PUT', path, headers: { 'content-length': '50', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const { request } = await import('node:http');
    const url = new URL(s3.endpoint);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = request({ host: url.hostname, port: url.port, method: 'PUT', path, headers }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      outgoing.on('error', reject);
      let index = 0;
      const writeNext = (): void => {
        const piece = pieces[index++];
        if (!piece) {
          outgoing.end();
          return;
        }
        outgoing.write(piece);
        setTimeout(writeNext, IDLE_TIMEOUT_MS / 2);
      };
      writeNext();
    });
    expect(status).toBe(200);
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(Buffer.concat(pieces));
  });

  test('the server still answers afterwards', async () => {
    const key = `${s3.alice.prefix}alive.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'alive' }));
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body?.transformToString()).toBe('alive');
  });
});
