import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Bucket } from '../../../infra/local/s3/model/bucket.ts';
import { NoSuchUpload } from '../../../infra/local/s3/s3-errors.ts';
import { ATTRIBUTES, looseBlobIds, openStoreFixture, putText, readText, type StoreFixture } from './s3-database-fixture.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

let fixture: StoreFixture;
beforeEach(async () => {
  fixture = await openStoreFixture();
});
afterEach(() => fixture.close());

async function putPart(bucket: Bucket, uploadId: string, key: string, partNumber: number, body: string) {
  const staged = await bucket.stage(Readable.from([Buffer.from(body)]), { maxBytes: 1024 });
  return bucket.putPart({ uploadId, key, partNumber, staged });
}

describe('multipart uploads in the database survive restarts', () => {
  test('create, put parts, restart, replace a part, restart, complete: the object is the chosen parts, the rest is freed', async () => {
    const key = 'users/a/big.bin';
    const { uploadId } = await fixture.bucket().createUpload({ key, attributes: ATTRIBUTES, initiator: 'arn:test' });
    const first = await putPart(fixture.bucket(), uploadId, key, 1, 'one ');
    await putPart(fixture.bucket(), uploadId, key, 2, 'two ');
    await fixture.reopen();
    expect([...fixture.bucket().upload(uploadId, key).parts.keys()]).toEqual([1, 2]);
    const replaced = await putPart(fixture.bucket(), uploadId, key, 1, 'ONE ');
    expect(existsSync(join(fixture.blobsDirectory, first.blobId))).toBe(false);
    const unused = await putPart(fixture.bucket(), uploadId, key, 3, 'three');
    await fixture.reopen();
    const parts = fixture.bucket().upload(uploadId, key).parts;
    expect(parts.get(1)).toEqual(replaced);
    const object = await fixture.bucket().completeUpload({
      uploadId,
      key,
      parts: [1, 2].map((partNumber) => ({ partNumber, etag: parts.get(partNumber)!.etag })),
      minPartBytes: 1,
    });
    expect(object.partCount).toBe(2);
    expect(await readText(fixture.bucket(), key)).toBe('ONE two ');
    expect(() => fixture.bucket().upload(uploadId, key)).toThrow(NoSuchUpload);
    expect(existsSync(join(fixture.blobsDirectory, unused.blobId))).toBe(false);
    expect(fixture.database.prepare('SELECT count(*) AS count FROM s3_parts').get()).toEqual({ count: 0 });
    await fixture.reopen();
    expect(await readText(fixture.bucket(), key)).toBe('ONE two ');
    expect(await unreferencedBlobs(fixture.dataDirectory)).toEqual([]);
  });

  test('completing over an existing object frees its blob in the same change', async () => {
    const key = 'users/a/overwritten';
    const old = await putText(fixture.bucket(), key, 'old object');
    const { uploadId } = await fixture.bucket().createUpload({ key, attributes: ATTRIBUTES, initiator: 'arn:test' });
    const part = await putPart(fixture.bucket(), uploadId, key, 1, 'new object');
    await fixture.bucket().completeUpload({ uploadId, key, parts: [{ partNumber: 1, etag: part.etag }], minPartBytes: 1 });
    expect(existsSync(join(fixture.blobsDirectory, old.segments[0]!.blobId))).toBe(false);
    expect(await readText(fixture.bucket(), key)).toBe('new object');
    expect(looseBlobIds(fixture.database)).toEqual([]);
  });

  test('abort after a restart removes the upload, its parts and their blobs; another key cannot name the upload', async () => {
    const key = 'users/a/aborted.bin';
    const { uploadId } = await fixture.bucket().createUpload({ key, attributes: ATTRIBUTES, initiator: 'arn:test' });
    await putPart(fixture.bucket(), uploadId, key, 1, 'bytes');
    await fixture.reopen();
    expect(() => fixture.bucket().upload(uploadId, 'users/b/aborted.bin')).toThrow(NoSuchUpload);
    await expect(fixture.bucket().abortUpload(uploadId, 'users/b/aborted.bin')).rejects.toBeInstanceOf(NoSuchUpload);
    await fixture.bucket().abortUpload(uploadId, key);
    expect(fixture.bucket().uploadsInOrder()).toEqual([]);
    expect(await readdir(fixture.blobsDirectory)).toEqual([]);
    expect(fixture.database.prepare('SELECT count(*) AS count FROM s3_parts').get()).toEqual({ count: 0 });
    await expect(putPart(fixture.bucket(), uploadId, key, 2, 'late part')).rejects.toBeInstanceOf(NoSuchUpload);
    expect(await unreferencedBlobs(fixture.dataDirectory)).toEqual([]);
  });

  test('uploads are listed by key in UTF-8 byte order, then by initiation time', async () => {
    await fixture.close();
    let now = Date.parse('2026-01-01T00:00:10.000Z');
    fixture = await openStoreFixture(undefined, () => new Date(now));
    const later = await fixture.bucket().createUpload({ key: 'b', attributes: ATTRIBUTES, initiator: 'arn:test' });
    now -= 5000;
    for (const key of ['b', 'a\u{1f600}', 'a\uffff', 'a']) await fixture.bucket().createUpload({ key, attributes: ATTRIBUTES, initiator: 'arn:test' });
    await fixture.reopen();
    const listed = fixture.bucket().uploadsInOrder();
    expect(listed.map((stored) => stored.upload.key)).toEqual(['a', 'a\uffff', 'a\u{1f600}', 'b', 'b']);
    expect(listed.at(-1)!.upload.uploadId).toBe(later.uploadId);
    expect(listed.every((stored) => stored.parts.size === 0)).toBe(true);
  });
});
