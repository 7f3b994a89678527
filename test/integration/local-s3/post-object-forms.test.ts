import { randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { errorCode, sendRaw, type RawResponse } from './raw-requests.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3({ bodyIdleTimeoutMs: 300 });
});
afterAll(async () => {
  await s3.close();
});

const BOUNDARY = '----postObjectFormBoundary';

interface Part {
  name: string;
  value: string | Buffer;
  fileName?: string;
}

function multipart(parts: Part[], closing = true): Buffer {
  return Buffer.concat([
    ...parts.map((part) =>
      Buffer.concat([
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"${part.fileName === undefined ? '' : `; filename="${part.fileName}"`}\r\n\r\n`),
        Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value),
        Buffer.from('\r\n'),
      ]),
    ),
    Buffer.from(closing ? `--${BOUNDARY}--\r\n` : ''),
  ]);
}

async function signedParts(key: string): Promise<Part[]> {
  const form = await createPresignedPost(s3.alice.client, { Bucket: BUCKET, Key: key, Conditions: [['content-length-range', 1, 1024 * 1024]], Expires: 600 });
  return Object.entries(form.fields).map(([name, value]) => ({ name, value }));
}

const newKey = () => `${s3.alice.prefix}form-${randomBytes(4).toString('hex')}.bin`;
const file = (bytes: string | Buffer = 'file bytes'): Part => ({ name: 'file', value: bytes, fileName: 'a.bin' });

async function postRaw(body: Buffer | Buffer[], headers: Record<string, string | number> = {}, destroyAfterWrite = false): Promise<RawResponse | 'destroyed'> {
  const length = Array.isArray(body) ? body.reduce((total, chunk) => total + chunk.length, 0) : body.length;
  return sendRaw(s3.endpoint, {
    method: 'POST',
    path: `/${BUCKET}`,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': length, ...headers },
    body,
    destroyAfterWrite,
  });
}

async function stored(key: string): Promise<boolean> {
  return s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
}

async function stagedFiles(): Promise<string[]> {
  return unreferencedBlobs(s3.dataDirectory);
}

describe('POST Object: hostile forms get S3 errors, never a crash', () => {
  test('a well-formed raw form is stored (the baseline for the cases below)', async () => {
    const key = newKey();
    const answer = await postRaw(multipart([...(await signedParts(key)), file()]));
    expect(answer !== 'destroyed' && answer.status).toBe(204);
    expect(await stored(key)).toBe(true);
  });

  test('a POST that is not multipart/form-data is 412 PreconditionFailed', async () => {
    const answer = await postRaw(Buffer.from('key=x'), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer !== 'destroyed' && answer.status).toBe(412);
    expect(answer !== 'destroyed' && answer.body).toContain('Bucket POST must be of the enclosure-type multipart/form-data');
  });

  test('multipart/form-data without a boundary is 400 MalformedPOSTRequest', async () => {
    expect(errorCode(await postRaw(multipart([file()]), { 'content-type': 'multipart/form-data' }))).toBe('MalformedPOSTRequest');
  });

  test('the file before the policy and key: the key is missing (S3 reads no field after the file)', async () => {
    const key = newKey();
    const answer = await postRaw(multipart([file(), ...(await signedParts(key))]));
    expect(errorCode(answer)).toBe('InvalidArgument');
    expect(answer !== 'destroyed' && answer.body).toContain('field named &apos;key&apos;');
    expect(await stored(key)).toBe(false);
  });

  test('a form without a file is 400 IncorrectNumberOfFilesInPostRequest', async () => {
    expect(errorCode(await postRaw(multipart(await signedParts(newKey()))))).toBe('IncorrectNumberOfFilesInPostRequest');
  });

  test('more than 20 fields, or a field over 20 KiB, is 400 MaxPostPreDataLengthExceededError', async () => {
    const many = Array.from({ length: 21 }, (_, index) => ({ name: `x-ignore-${index}`, value: 'v' }));
    expect(errorCode(await postRaw(multipart([...many, ...(await signedParts(newKey())), file()])))).toBe('MaxPostPreDataLengthExceededError');
    const huge = { name: 'x-ignore-huge', value: 'v'.repeat(20 * 1024 + 1) };
    expect(errorCode(await postRaw(multipart([huge, ...(await signedParts(newKey())), file()])))).toBe('MaxPostPreDataLengthExceededError');
  });

  test('a form that ends early (a Content-Length shorter than the form) is 400 MalformedPOSTRequest, nothing stored', async () => {
    const key = newKey();
    const body = multipart([...(await signedParts(key)), file('x'.repeat(5000))]);
    const answer = await postRaw(body.subarray(0, body.length - 3000));
    expect(errorCode(answer)).toBe('MalformedPOSTRequest');
    expect(await stored(key)).toBe(false);
  });

  test('a form that stops arriving inside its file is 400 RequestTimeout, nothing stored, no staged file left', async () => {
    const key = newKey();
    const whole = multipart([...(await signedParts(key)), file('y'.repeat(8000))]);
    const answer = await postRaw(whole.subarray(0, whole.length - 2000), { 'content-length': whole.length });
    expect(errorCode(answer)).toBe('RequestTimeout');
    expect(await stored(key)).toBe(false);
    expect(await stagedFiles()).toEqual([]);
  });

  test('a connection cut inside the file stores nothing and leaves no staged file; the server still answers', async () => {
    const key = newKey();
    const whole = multipart([...(await signedParts(key)), file(Buffer.alloc(200_000, 1))]);
    expect(await postRaw([whole.subarray(0, 100_000)], { 'content-length': whole.length }, true)).toBe('destroyed');
    for (let attempt = 0; attempt < 40 && (await stagedFiles()).length > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await stagedFiles()).toEqual([]);
    expect(await stored(key)).toBe(false);
    const after = newKey();
    const answer = await postRaw(multipart([...(await signedParts(after)), file()]));
    expect(answer !== 'destroyed' && answer.status).toBe(204);
  });

  test('fields after the file are ignored, as S3 ignores them', async () => {
    const key = newKey();
    const answer = await postRaw(multipart([...(await signedParts(key)), file(), { name: 'x-amz-meta-late', value: 'ignored' }]));
    expect(answer !== 'destroyed' && answer.status).toBe(204);
    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.Metadata).toEqual({});
  });

  test('a form field holding a line break where a header goes is 400 InvalidArgument', async () => {
    const key = newKey();
    const form = await createPresignedPost(s3.alice.client, { Bucket: BUCKET, Key: key, Fields: { 'Content-Type': 'text/plain\r\nx-evil: 1' }, Expires: 600 });
    const parts = Object.entries(form.fields).map(([name, value]) => ({ name, value }));
    expect(errorCode(await postRaw(multipart([...parts, file()])))).toBe('InvalidArgument');
    expect(await stored(key)).toBe(false);
  });
});
