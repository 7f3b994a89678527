import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ObjectRecord, PartRecord, UploadRecord } from '../../../infra/local/s3/model/object-record.ts';
import { ATTRIBUTES, BUCKET, looseBlobIds, openStoreFixture, readText, type StoreFixture } from './s3-database-fixture.ts';

const blobId = () => randomBytes(16).toString('hex');
const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;

/** A bucket directory as the JSON-file version wrote it, crash leftovers included. */
async function writeEarlierBucket(bucketDirectory: string) {
  const objects = join(bucketDirectory, 'objects');
  const uploads = join(bucketDirectory, 'uploads');
  const blobs = join(bucketDirectory, 'blobs');
  for (const directory of [objects, uploads, blobs, join(bucketDirectory, 'tmp')]) await mkdir(directory, { recursive: true });
  const writeObject = async (key: string, body: string, id = blobId()) => {
    await writeFile(join(blobs, id), body);
    const record: ObjectRecord = { key, size: body.length, etag: md5(body), lastModified: '2026-01-01T00:00:00.000Z', segments: [{ blobId: id, size: body.length }], ...ATTRIBUTES };
    await writeFile(join(objects, `${createHash('sha256').update(key).digest('hex')}.json`), JSON.stringify(record));
    return record;
  };
  const plain = await writeObject('users/a/notes.txt', 'plain object');
  const unicode = await writeObject('users/a/\u{1f600}.txt', 'astral key');
  // An atomic write a crash interrupted, and a staged body that never became an object.
  await writeFile(join(objects, `.${'f'.repeat(64)}.json.0123456789ab.tmp`), '{"key":"half-writ');
  await writeFile(join(bucketDirectory, 'tmp', blobId()), 'staged, never kept');
  const orphan = blobId();
  await writeFile(join(blobs, orphan), 'no record refers to me');

  // An upload in progress with two parts.
  const uploadId = randomBytes(24).toString('base64url');
  const upload: UploadRecord = { uploadId, key: 'users/a/big.bin', initiated: '2026-01-02T00:00:00.000Z', attributes: ATTRIBUTES, initiator: 'arn:aws:sts::000000000000:assumed-role/r/s' };
  await mkdir(join(uploads, uploadId));
  await writeFile(join(uploads, uploadId, 'upload.json'), JSON.stringify(upload));
  const parts: PartRecord[] = [];
  for (const [partNumber, body] of [
    [1, 'part one '],
    [2, 'part two'],
  ] as const) {
    const part: PartRecord = { partNumber, blobId: blobId(), size: body.length, etag: md5(body), lastModified: '2026-01-02T00:00:01.000Z' };
    await writeFile(join(blobs, part.blobId), body);
    await writeFile(join(uploads, uploadId, `part-${partNumber}.json`), JSON.stringify(part));
    parts.push(part);
  }
  await writeFile(join(uploads, uploadId, '.part-3.json.0123456789ab.tmp'), '{');
  // A create a crash interrupted (no upload.json), and an upload whose completion committed its object just before a crash.
  await mkdir(join(uploads, randomBytes(24).toString('base64url')));
  const completedId = randomBytes(24).toString('base64url');
  const completed = await writeObject('users/a/completed.bin', 'completed');
  await mkdir(join(uploads, completedId));
  await writeFile(join(uploads, completedId, 'upload.json'), JSON.stringify({ ...upload, uploadId: completedId, key: 'users/a/completed.bin' }));
  await writeFile(join(uploads, completedId, 'part-1.json'), JSON.stringify({ ...parts[0], blobId: completed.segments[0]!.blobId }));
  return { plain, unicode, orphan, uploadId, parts, completedId };
}

describe('the first open imports the JSON files of the earlier version, once', () => {
  let dataDirectory: string;
  let fixture: StoreFixture | undefined;
  beforeEach(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 's3-database-migration-'));
  });
  afterEach(() => fixture?.close());

  test('objects, uploads and parts are imported, crash leftovers and unreferenced blobs removed, the old directories gone', async () => {
    const bucketDirectory = join(dataDirectory, 's3', BUCKET);
    const earlier = await writeEarlierBucket(bucketDirectory);
    fixture = await openStoreFixture(dataDirectory);
    const bucket = fixture.bucket();

    expect(bucket.list({ prefix: 'users/a/', maxKeys: 1000 }).objects.map((object) => object.key)).toEqual(['users/a/completed.bin', 'users/a/notes.txt', 'users/a/\u{1f600}.txt']);
    expect(bucket.get('users/a/notes.txt')).toEqual(earlier.plain);
    expect(await readText(bucket, 'users/a/notes.txt')).toBe('plain object');
    expect(await readText(bucket, 'users/a/\u{1f600}.txt')).toBe('astral key');
    expect(await readText(bucket, 'users/a/completed.bin')).toBe('completed');

    expect(bucket.uploadsInOrder().map((stored) => stored.upload.uploadId)).toEqual([earlier.uploadId]);
    const { parts } = bucket.upload(earlier.uploadId, 'users/a/big.bin');
    expect([...parts.values()]).toEqual(earlier.parts);
    const object = await bucket.completeUpload({ uploadId: earlier.uploadId, key: 'users/a/big.bin', parts: earlier.parts.map(({ partNumber, etag }) => ({ partNumber, etag })), minPartBytes: 1 });
    expect(object.size).toBe('part one part two'.length);
    expect(await readText(bucket, 'users/a/big.bin')).toBe('part one part two');

    expect((await readdir(bucketDirectory)).sort()).toEqual(['blobs']);
    expect(existsSync(join(bucketDirectory, 'blobs', earlier.orphan))).toBe(false);
    const referenced = [earlier.plain, earlier.unicode, bucket.get('users/a/completed.bin')!, object].flatMap((record) => record.segments.map((segment) => segment.blobId));
    expect((await readdir(join(bucketDirectory, 'blobs'))).sort()).toEqual([...referenced].sort());
    expect(looseBlobIds(fixture.database)).toEqual([]);
    expect(fixture.database.prepare('SELECT name FROM local_migrations WHERE name = ?').get(`s3-json-files:${BUCKET}`)).toBeDefined();
  });

  test('a second open imports nothing again: JSON files appearing later are ignored', async () => {
    const bucketDirectory = join(dataDirectory, 's3', BUCKET);
    await writeEarlierBucket(bucketDirectory);
    fixture = await openStoreFixture(dataDirectory);
    await fixture.bucket().deleteObject('users/a/notes.txt');
    const objectsBefore = fixture.database.prepare('SELECT count(*) AS count FROM s3_objects').get() as { count: number };
    await writeEarlierBucket(bucketDirectory);
    await fixture.reopen();
    expect(fixture.database.prepare('SELECT count(*) AS count FROM s3_objects').get()).toEqual(objectsBefore);
    expect(fixture.bucket().get('users/a/notes.txt')).toBeUndefined();
    expect(existsSync(join(bucketDirectory, 'objects'))).toBe(true);
  });

  test('a fresh data directory (nothing to import) records the migration and creates only the blobs directory', async () => {
    fixture = await openStoreFixture(dataDirectory);
    expect(await readdir(join(dataDirectory, 's3', BUCKET))).toEqual(['blobs']);
    expect(fixture.bucket().list({ prefix: '', maxKeys: 10 }).objects).toEqual([]);
  });
});
