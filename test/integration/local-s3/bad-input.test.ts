import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { errorCode, sendRaw, signHeaders } from './raw-requests.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';
import { LOCAL_DATABASE_FILE } from '../../../infra/local/persistence/local-database.ts';
import { OBJECT_BYTES_DIRECTORY } from '../../../infra/local/s3/model/blob-directory.ts';

let s3: LocalS3;
let outsideBefore: string[];
beforeAll(async () => {
  s3 = await startLocalS3();
  outsideBefore = await readdir(dirname(s3.dataDirectory));
});
afterAll(() => s3.close());

const encodedPrefix = (): string => encodeURIComponent(s3.alice.prefix.slice(0, -1)).replace(/%2F/g, '/');

/** After each bad request the server must still answer a normal one. */
async function expectStillServing(): Promise<void> {
  const key = `${s3.alice.prefix}alive-${Date.now()}.txt`;
  await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'alive' }));
  const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  expect(await got.Body?.transformToString()).toBe('alive');
}

async function allFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('bad input never crashes the server or escapes the data directory', () => {
  test('response-* overrides no header can carry (CR/LF injection, emoji) are InvalidArgument, and no header is injected', async () => {
    const key = `${s3.alice.prefix}override-target.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'target' }));
    for (const hostile of ['text/plain\r\nx-injected: 1', 'text/\u{1F600}', 'a\u0000b']) {
      const failure = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ResponseContentType: hostile })).then(
        () => undefined,
        (error: { name: string; $metadata?: { httpStatusCode?: number } }) => error,
      );
      expect(failure?.name, hostile).toBe('InvalidArgument');
      expect(failure?.$metadata?.httpStatusCode).toBe(400);
    }
    const fine = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ResponseContentType: 'text/markdown; charset=utf-8' }));
    expect(fine.ContentType).toBe('text/markdown; charset=utf-8');
    await expectStillServing();
  });

  test('malformed XML in DeleteObjects and CompleteMultipartUpload is MalformedXML', async () => {
    for (const [query, body] of [
      ['delete=', '<Delete><Object><Key>a</Key></Object'],
      ['delete=', '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Delete><Object><Key>&x;</Key></Object></Delete>'],
      ['delete=', '<NotDelete/>'],
    ] as const) {
      const path = `/${BUCKET}/`;
      const payload = Buffer.from(body);
      const headers = await signHeaders(s3.alice.credentials, s3.endpoint, {
        method: 'POST',
        path,
        query: { [query.replace('=', '')]: '' },
        headers: { 'x-amz-content-sha256': createHash('sha256').update(payload).digest('hex'), 'content-md5': createHash('md5').update(payload).digest('base64'), 'content-length': String(payload.length) },
      });
      const response = await sendRaw(s3.endpoint, { method: 'POST', path: `${path}?${query}`, headers, body: payload });
      expect(errorCode(response)).toBe('MalformedXML');
    }
    await expectStillServing();
  });

  test('XML nested past the parser depth limit is MalformedXML (400), not an internal error', async () => {
    const created = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}deep.bin` }));
    for (const depth of [101, 100_000]) {
      const nested = `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;
      for (const [path, query, body] of [
        [`/${BUCKET}/`, { delete: '' }, `<Delete>${nested}<Object><Key>k</Key></Object></Delete>`],
        [`/${BUCKET}/${encodedPrefix()}/deep.bin`, { uploadId: created.UploadId ?? '' }, `<CompleteMultipartUpload>${nested}</CompleteMultipartUpload>`],
      ] as const) {
        const payload = Buffer.from(body);
        const headers = await signHeaders(s3.alice.credentials, s3.endpoint, {
          method: 'POST',
          path,
          query,
          headers: { 'x-amz-content-sha256': createHash('sha256').update(payload).digest('hex'), 'content-md5': createHash('md5').update(payload).digest('base64'), 'content-length': String(payload.length) },
        });
        const search = new URLSearchParams(query).toString().replace(/=$/, '');
        const response = await sendRaw(s3.endpoint, { method: 'POST', path: `${path}?${search}`, headers, body: payload });
        expect(response === 'destroyed' ? 0 : response.status, `${depth} deep`).toBe(400);
        expect(errorCode(response)).toBe('MalformedXML');
      }
    }
    await expectStillServing();
  });

  test('a body cut short (Content-Length larger than what arrives, then the socket is destroyed) leaves nothing behind', async () => {
    const path = `/${BUCKET}/${encodedPrefix()}/truncated.bin`;
    const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'PUT', path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(1024 * 1024) } });
    expect(await sendRaw(s3.endpoint, { method: 'PUT', path, headers, body: Buffer.alloc(4096, 1), destroyAfterWrite: true })).toBe('destroyed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expectStillServing();
    const listed = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${s3.alice.prefix}truncated` }));
    expect(listed.KeyCount).toBe(0);
    expect(await unreferencedBlobs(s3.dataDirectory)).toEqual([]);
  });

  test('an aws-chunked body that stops before its final chunk is refused and leaves nothing behind', async () => {
    const path = `/${BUCKET}/${encodedPrefix()}/chunked-truncated.bin`;
    const headers = await signHeaders(s3.alice.credentials, s3.endpoint, {
      method: 'PUT',
      path,
      headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10', 'x-amz-trailer': 'x-amz-checksum-crc32' },
    });
    const response = await sendRaw(s3.endpoint, { method: 'PUT', path, headers: { ...headers, 'content-length': 8 }, body: Buffer.from('5\r\nhello\r\n'.slice(0, 8)) });
    expect(errorCode(response)).toBe('IncompleteBody');
    await expectStillServing();
  });

  test('huge header values and garbage authorization headers get an S3 error, not a crash', async () => {
    const path = `/${BUCKET}/${encodedPrefix()}/x`;
    const garbage = await sendRaw(s3.endpoint, { method: 'GET', path, headers: { authorization: 'AWS4-HMAC-SHA256 garbage' } });
    expect(errorCode(garbage)).toBe('AuthorizationHeaderMalformed');
    const sigV2 = await sendRaw(s3.endpoint, { method: 'GET', path, headers: { authorization: 'AWS AKIA:abc' } });
    expect(errorCode(sigV2)).toBe('InvalidRequest');
    const huge = await sendRaw(s3.endpoint, { method: 'GET', path, headers: { 'x-amz-meta-huge': 'v'.repeat(12_000) } }).catch(() => 'rejected');
    expect(huge === 'rejected' || (typeof huge === 'object' && huge.status >= 400)).toBe(true);
    const tooBig = await sendRaw(s3.endpoint, { method: 'GET', path, headers: { 'x-amz-meta-huge': 'v'.repeat(20_000) } }).catch(() => 'rejected');
    expect(tooBig === 'rejected' || (typeof tooBig === 'object' && tooBig.status === 431)).toBe(true);
    await expectStillServing();
  });

  test('%2F..%2F and ../ in keys are plain keys: stored, listed, and never a file path', async () => {
    const traversals = ['%2F..%2F..%2F..%2Fetc%2Fpasswd', '..%2F..%2F..%2Fescaped', '../../../../escaped-too'];
    for (const raw of traversals) {
      const path = `/${BUCKET}/${encodedPrefix()}/${raw}`;
      const body = Buffer.from('traversal');
      const headers = await signHeaders(s3.alice.credentials, s3.endpoint, { method: 'PUT', path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length) } });
      const response = await sendRaw(s3.endpoint, { method: 'PUT', path, headers, body });
      expect(response !== 'destroyed' && response.status).toBe(200);
    }
    const listed = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: s3.alice.prefix }));
    const keys = (listed.Contents ?? []).map((object) => object.Key);
    expect(keys).toContain(`${s3.alice.prefix}/../../../etc/passwd`);
    expect(keys).toContain(`${s3.alice.prefix}../../../escaped`);
    // A path the HTTP layer normalizes would have left the own prefix and been denied instead.
    expect(await readdir(dirname(s3.dataDirectory))).toEqual(expect.arrayContaining(outsideBefore));
    for (const file of await allFiles(s3.dataDirectory)) {
      const isDatabase = [LOCAL_DATABASE_FILE, `${LOCAL_DATABASE_FILE}-wal`, `${LOCAL_DATABASE_FILE}-shm`].some((name) => file === join(s3.dataDirectory, name));
      expect(isDatabase || file.startsWith(join(s3.dataDirectory, 's3', BUCKET, OBJECT_BYTES_DIRECTORY))).toBe(true);
      expect(file).not.toContain('passwd');
      expect(file).not.toContain('escaped');
    }
    await expectStillServing();
  });

  test('unsupported subresources are NotImplemented, unknown methods MethodNotAllowed', async () => {
    const path = `/${BUCKET}/${encodedPrefix()}/x`;
    for (const [method, query, expected] of [
      ['GET', 'tagging', 'NotImplemented'],
      ['PUT', 'acl', 'NotImplemented'],
      ['GET', 'versioning', 'NotImplemented'],
      ['PATCH', '', 'MethodNotAllowed'],
    ] as const) {
      const target = query === '' ? path : `/${BUCKET}/?${query}=`;
      const headers = await signHeaders(s3.alice.credentials, s3.endpoint, {
        method,
        path: query === '' ? path : `/${BUCKET}/`,
        query: query === '' ? {} : { [query]: '' },
        headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      });
      expect(errorCode(await sendRaw(s3.endpoint, { method, path: target, headers }))).toBe(expected);
    }
    await expectStillServing();
  });
});
