import { mkdir, mkdtemp, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { OBJECT_BYTES_DIRECTORY } from '../../../infra/local/s3/model/blob-directory.ts';
import { BUCKET, looseBlobIds, openStoreFixture, readText, type StoreFixture } from './s3-database-fixture.ts';
import { startEarlierVersion, writeEarlierBucket } from './s3-database-earlier-version.ts';

const migrations = (fixture: StoreFixture) => (fixture.database.prepare("SELECT name FROM local_migrations WHERE name LIKE 's3-%' ORDER BY name").all() as Array<{ name: string }>).map((row) => row.name);

describe('the first open imports the JSON files of the earlier version, once', () => {
  let dataDirectory: string;
  let bucketDirectory: string;
  let fixture: StoreFixture | undefined;
  beforeEach(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 's3-database-migration-'));
    bucketDirectory = join(dataDirectory, 's3', BUCKET);
  });
  afterEach(() => fixture?.close());

  test('objects, uploads and parts are imported, their blobs moved into object-bytes/, crash leftovers and unreferenced blobs removed, the old directories gone', async () => {
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

    expect((await readdir(bucketDirectory)).sort()).toEqual([OBJECT_BYTES_DIRECTORY]);
    const referenced = [earlier.plain, earlier.unicode, bucket.get('users/a/completed.bin')!, object].flatMap((record) => record.segments.map((segment) => segment.blobId));
    expect((await readdir(fixture.blobsDirectory)).sort()).toEqual([...referenced].sort());
    expect(referenced).not.toContain(earlier.orphan);
    expect(looseBlobIds(fixture.database)).toEqual([]);
    expect(migrations(fixture)).toEqual([`s3-json-files:${BUCKET}`]);
  });

  test('JSON folders appearing after the migration (a removal a crash cut short, a copied-in objects/) are removed, not imported', async () => {
    await writeEarlierBucket(bucketDirectory);
    fixture = await openStoreFixture(dataDirectory);
    await fixture.bucket().deleteObject('users/a/notes.txt');
    const objectsBefore = fixture.database.prepare('SELECT count(*) AS count FROM s3_objects').get() as { count: number };
    const keptBytes = (await readdir(fixture.blobsDirectory)).sort();
    await writeEarlierBucket(bucketDirectory);
    await fixture.reopen();
    expect(fixture.database.prepare('SELECT count(*) AS count FROM s3_objects').get()).toEqual(objectsBefore);
    expect(fixture.bucket().get('users/a/notes.txt')).toBeUndefined();
    expect(await readText(fixture.bucket(), 'users/a/completed.bin')).toBe('completed');
    expect(await readdir(bucketDirectory)).toEqual([OBJECT_BYTES_DIRECTORY]);
    expect((await readdir(fixture.blobsDirectory)).sort()).toEqual(keptBytes);
  });

  test('a fresh data directory (nothing to import) records the migration and creates only object-bytes/', async () => {
    fixture = await openStoreFixture(dataDirectory);
    expect(await readdir(bucketDirectory)).toEqual([OBJECT_BYTES_DIRECTORY]);
    expect(fixture.bucket().list({ prefix: '', maxKeys: 10 }).objects).toEqual([]);
    expect(migrations(fixture)).toEqual([`s3-json-files:${BUCKET}`]);
  });
});

describe('an import a kill cut short is re-run at the next start and loses no bytes', () => {
  let dataDirectory: string;
  let bucketDirectory: string;
  let fixture: StoreFixture | undefined;
  beforeEach(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 's3-database-migration-crash-'));
    bucketDirectory = join(dataDirectory, 's3', BUCKET);
  });
  afterEach(() => fixture?.close());

  /** The import moves blobs before it commits: this leaves the first `count` referenced blobs moved and nothing committed. */
  async function killAfterMoving(count: number | 'all') {
    const earlier = await writeEarlierBucket(bucketDirectory);
    const referenced = [earlier.plain, earlier.unicode].map((record) => record.segments[0]!.blobId).concat(earlier.parts.map((part) => part.blobId));
    await mkdir(join(bucketDirectory, OBJECT_BYTES_DIRECTORY));
    for (const blobId of count === 'all' ? referenced : referenced.slice(0, count)) await rename(join(bucketDirectory, 'blobs', blobId), join(bucketDirectory, OBJECT_BYTES_DIRECTORY, blobId));
    return earlier;
  }

  async function expectEverythingImported(fixture: StoreFixture, earlier: Awaited<ReturnType<typeof writeEarlierBucket>>) {
    const bucket = fixture.bucket();
    expect(await readText(bucket, 'users/a/notes.txt')).toBe('plain object');
    expect(await readText(bucket, 'users/a/\u{1f600}.txt')).toBe('astral key');
    expect(await readText(bucket, 'users/a/completed.bin')).toBe('completed');
    const object = await bucket.completeUpload({ uploadId: earlier.uploadId, key: 'users/a/big.bin', parts: earlier.parts.map(({ partNumber, etag }) => ({ partNumber, etag })), minPartBytes: 1 });
    expect(await readText(bucket, object.key)).toBe('part one part two');
    expect(await readdir(bucketDirectory)).toEqual([OBJECT_BYTES_DIRECTORY]);
  }

  test('killed half-way through the moves: the blobs are found in either directory', async () => {
    const earlier = await killAfterMoving(2);
    fixture = await openStoreFixture(dataDirectory);
    await expectEverythingImported(fixture, earlier);
  });

  test('killed after every move, before the commit, then the earlier version started in between: nothing of ours is swept', async () => {
    const earlier = await killAfterMoving('all');
    // The earlier version sees records whose blobs are elsewhere; its sweep of blobs/ cannot reach them.
    await startEarlierVersion(bucketDirectory);
    expect((await readdir(join(bucketDirectory, OBJECT_BYTES_DIRECTORY))).length).toBe(4);
    fixture = await openStoreFixture(dataDirectory);
    await expectEverythingImported(fixture, earlier);
  });

  test('killed after the commit, during the removal of the old folders: the next start removes the rest', async () => {
    await writeEarlierBucket(bucketDirectory);
    fixture = await openStoreFixture(dataDirectory);
    const keys = fixture.bucket().list({ prefix: '', maxKeys: 10 }).objects.map((object) => object.key);
    fixture.store.close();
    fixture.database.close();
    // What the removal had not reached yet: an upload folder, a staging file, an orphan blob.
    await mkdir(join(bucketDirectory, 'uploads', 'x'.repeat(32)), { recursive: true });
    await writeFile(join(bucketDirectory, 'uploads', 'x'.repeat(32), 'upload.json'), '{}');
    await mkdir(join(bucketDirectory, 'blobs'));
    await writeFile(join(bucketDirectory, 'blobs', 'f'.repeat(32)), 'orphan');
    fixture = await openStoreFixture(dataDirectory);
    expect(await readdir(bucketDirectory)).toEqual([OBJECT_BYTES_DIRECTORY]);
    expect(fixture.bucket().list({ prefix: '', maxKeys: 10 }).objects.map((object) => object.key)).toEqual(keys);
    expect(await readText(fixture.bucket(), 'users/a/notes.txt')).toBe('plain object');
  });
});
