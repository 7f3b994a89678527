import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { sendRaw, signHeaders } from './raw-requests.ts';
import { expectHttpStatus, expectServiceError } from '../service-error-assertions.ts';

/** Parts of a few bytes (the minimum part size is lowered), so the boundaries are easy to read. */
const PARTS = ['a'.repeat(10), 'b'.repeat(10), 'ccc'];
const TOTAL = PARTS.join('').length;

let s3: LocalS3;
let multipartKey: string;
let multipartEtag: string;
let singleKey: string;
let singleEtag: string;

beforeAll(async () => {
  s3 = await startLocalS3({ limits: { minPartBytes: 4 } });
  multipartKey = `${s3.alice.prefix}parts/three.bin`;
  const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: multipartKey }));
  const uploaded = [];
  for (const [index, body] of PARTS.entries()) {
    const { ETag } = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: multipartKey, UploadId, PartNumber: index + 1, Body: body }));
    uploaded.push({ PartNumber: index + 1, ETag });
  }
  multipartEtag = (await s3.alice.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: multipartKey, UploadId, MultipartUpload: { Parts: uploaded } }))).ETag as string;
  singleKey = `${s3.alice.prefix}parts/single.txt`;
  singleEtag = (await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: singleKey, Body: 'whole' }))).ETag as string;
});
afterAll(() => s3.close());

describe('GetObject and HeadObject with partNumber', () => {
  test.each([
    [1, 'bytes 0-9/23'],
    [2, 'bytes 10-19/23'],
    [3, 'bytes 20-22/23'],
  ])('part %i of a multipart object is its bytes: 206, Content-Range, parts count, the whole object ETag', async (partNumber, contentRange) => {
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: partNumber }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(await got.Body?.transformToString()).toBe(PARTS[partNumber - 1]);
    expect(got).toMatchObject({ ContentRange: contentRange, ContentLength: PARTS[partNumber - 1]?.length, PartsCount: 3, ETag: multipartEtag });
  });

  test('HeadObject with partNumber answers the part size and range with the parts count', async () => {
    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 2 }));
    expect(head.$metadata.httpStatusCode).toBe(206);
    expect(head).toMatchObject({ ContentLength: 10, ContentRange: `bytes 10-19/${TOTAL}`, PartsCount: 3, ETag: multipartEtag });
  });

  test('a part number past the last part is 416 InvalidPartNumber', async () => {
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 4 })), 'InvalidPartNumber', 416);
    await expectHttpStatus(s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 4 })), 416);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: singleKey, PartNumber: 2 })), 'InvalidPartNumber', 416);
  });

  test('the error names the part asked for and the part count', async () => {
    const path = `/${BUCKET}/${multipartKey.split('/').map(encodeURIComponent).join('/')}`;
    const query = { partNumber: '7' };
    const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'GET', path, query, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const answer = await sendRaw(s3.endpoint, { method: 'GET', path: `${path}?partNumber=7`, headers });
    expect(answer).toMatchObject({ status: 416 });
    const body = answer === 'destroyed' ? '' : answer.body;
    expect(body).toContain('<Code>InvalidPartNumber</Code>');
    expect(body).toContain('<PartNumberRequested>7</PartNumberRequested>');
    expect(body).toContain('<ActualPartCount>3</ActualPartCount>');
  });

  test('a non-multipart object has one part, the whole object (206 with its Content-Range, no parts count)', async () => {
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: singleKey, PartNumber: 1 }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(await got.Body?.transformToString()).toBe('whole');
    expect(got).toMatchObject({ ContentRange: 'bytes 0-4/5', ContentLength: 5, ETag: singleEtag });
    expect(got.PartsCount).toBeUndefined();
  });

  test('an empty object answers part 1 as 200 with no body and no Content-Range (no byte range exists)', async () => {
    const key = `${s3.alice.prefix}parts/empty.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '' }));
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 1 }));
    expect(got.$metadata.httpStatusCode).toBe(200);
    expect(got.ContentLength).toBe(0);
    expect(got.ContentRange).toBeUndefined();
    expect(await got.Body?.transformToString()).toBe('');
  });

  test('partNumber together with Range is 400 InvalidRequest; part numbers outside 1..10000 are InvalidArgument', async () => {
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 1, Range: 'bytes=0-1' })), 'InvalidRequest', 400);
    await expectHttpStatus(s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 1, Range: 'bytes=0-1' })), 400);
    for (const partNumber of [0, 10001]) {
      await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: partNumber })), 'InvalidArgument', 400);
    }
  });

  test('conditional headers compare against the whole object ETag', async () => {
    await expectHttpStatus(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 1, IfNoneMatch: multipartEtag })), 304);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 1, IfMatch: '"0000"' })), 'PreconditionFailed', 412);
  });

  test('reading a part is s3:GetObject: the other identity is AccessDenied', async () => {
    await expectServiceError(s3.bob.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 1 })), 'AccessDenied', 403);
    expect(s3.decisions.at(-1)).toMatchObject({ action: 's3:GetObject', resource: `arn:aws:s3:::${BUCKET}/${multipartKey}` });
  });

  test('part boundaries survive a restart (they are read from the stored object record)', async () => {
    await s3.restart();
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: multipartKey, PartNumber: 3 }));
    expect(await got.Body?.transformToString()).toBe('ccc');
    expect(got).toMatchObject({ ContentRange: `bytes 20-22/${TOTAL}`, PartsCount: 3 });
  });
});
