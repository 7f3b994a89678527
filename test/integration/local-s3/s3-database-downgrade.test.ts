import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LOCAL_DATABASE_FILE } from '../../../infra/local/persistence/local-database.ts';
import { OBJECT_BYTES_DIRECTORY } from '../../../infra/local/s3/model/blob-directory.ts';
import { ObjectBytesWithoutDatabaseError } from '../../../infra/local/s3/model/object-bytes-without-database-error.ts';
import { BUCKET, openStoreFixture, putText, readText, type StoreFixture } from './s3-database-fixture.ts';
import { startEarlierVersion, writeEarlierBucket } from './s3-database-earlier-version.ts';

describe('the earlier (JSON-file) version started on a migrated directory deletes nothing of ours', () => {
  let dataDirectory: string;
  let bucketDirectory: string;
  let fixture: StoreFixture | undefined;
  beforeEach(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 's3-database-downgrade-'));
    bucketDirectory = join(dataDirectory, 's3', BUCKET);
  });
  afterEach(() => fixture?.close());

  test('imported and new objects survive a downgrade and an upgrade again; the earlier version sees an empty bucket', async () => {
    await writeEarlierBucket(bucketDirectory);
    fixture = await openStoreFixture(dataDirectory);
    await putText(fixture.bucket(), 'users/a/new.txt', 'written by the database version');
    const bytesBefore = (await readdir(fixture.blobsDirectory)).sort();
    fixture.store.close();
    fixture.database.close();

    expect(await startEarlierVersion(bucketDirectory)).toEqual([]);
    expect((await readdir(join(bucketDirectory, OBJECT_BYTES_DIRECTORY))).sort()).toEqual(bytesBefore);

    fixture = await openStoreFixture(dataDirectory);
    expect(await readText(fixture.bucket(), 'users/a/notes.txt')).toBe('plain object');
    expect(await readText(fixture.bucket(), 'users/a/\u{1f600}.txt')).toBe('astral key');
    expect(await readText(fixture.bucket(), 'users/a/new.txt')).toBe('written by the database version');
    // The folders the earlier version created are gone again.
    expect(await readdir(bucketDirectory)).toEqual([OBJECT_BYTES_DIRECTORY]);
  });
});

describe('a missing database never costs the bytes: start-up refuses and names the directory', () => {
  let fixture: StoreFixture | undefined;
  afterEach(() => fixture?.close());

  async function storeThenLoseTheDatabase() {
    fixture = await openStoreFixture();
    await putText(fixture.bucket(), 'users/a/kept.txt', 'precious');
    fixture.store.close();
    fixture.database.close();
    for (const suffix of ['', '-wal', '-shm']) await rm(join(fixture.dataDirectory, `${LOCAL_DATABASE_FILE}${suffix}`), { force: true });
    return { dataDirectory: fixture.dataDirectory, bytesDirectory: fixture.blobsDirectory, bytes: await readdir(fixture.blobsDirectory) };
  }

  test('local-cloud.sqlite deleted: a typed error naming object-bytes/ and the way out, every file kept', async () => {
    const lost = await storeThenLoseTheDatabase();
    expect(lost.bytes.length).toBe(1);
    const refused = await openStoreFixture(lost.dataDirectory).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ObjectBytesWithoutDatabaseError);
    const error = refused as ObjectBytesWithoutDatabaseError;
    expect(error.code).toBe('ObjectBytesWithoutDatabase');
    expect(error.message).toContain(lost.bytesDirectory);
    expect(error.message).toContain(LOCAL_DATABASE_FILE);
    expect(error.message).toMatch(/restore/i);
    expect(error.message).toMatch(/delete/i);
    expect(await readdir(lost.bytesDirectory)).toEqual(lost.bytes);
    // A second attempt refuses again rather than having recorded anything.
    await expect(openStoreFixture(lost.dataDirectory)).rejects.toBeInstanceOf(ObjectBytesWithoutDatabaseError);
    expect(await readdir(lost.bytesDirectory)).toEqual(lost.bytes);
  });

  test('deleting the directory, as the message says, starts the bucket empty', async () => {
    const lost = await storeThenLoseTheDatabase();
    await expect(openStoreFixture(lost.dataDirectory)).rejects.toBeInstanceOf(ObjectBytesWithoutDatabaseError);
    await rm(lost.bytesDirectory, { recursive: true });
    fixture = await openStoreFixture(lost.dataDirectory);
    expect(fixture.bucket().list({ prefix: '', maxKeys: 10 }).objects).toEqual([]);
  });

  test('restoring the database, as the message says, brings the objects back', async () => {
    fixture = await openStoreFixture();
    await putText(fixture.bucket(), 'users/a/kept.txt', 'precious');
    fixture.database.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    fixture.store.close();
    fixture.database.close();
    const databaseFile = join(fixture.dataDirectory, LOCAL_DATABASE_FILE);
    const backup = await readFile(databaseFile);
    await rm(databaseFile);
    await expect(openStoreFixture(fixture.dataDirectory)).rejects.toBeInstanceOf(ObjectBytesWithoutDatabaseError);
    for (const suffix of ['', '-wal', '-shm']) await rm(`${databaseFile}${suffix}`, { force: true });
    await writeFile(databaseFile, backup);
    fixture = await openStoreFixture(fixture.dataDirectory);
    expect(await readText(fixture.bucket(), 'users/a/kept.txt')).toBe('precious');
  });

  test('a database of the first layout (blobs in blobs/, no JSON records) deleted: refuses and names blobs/', async () => {
    const lost = await storeThenLoseTheDatabase();
    const blobsDirectory = join(lost.dataDirectory, 's3', BUCKET, 'blobs');
    await rm(blobsDirectory, { recursive: true, force: true });
    await rename(lost.bytesDirectory, blobsDirectory);
    await expect(openStoreFixture(lost.dataDirectory)).rejects.toThrow(blobsDirectory);
    expect(await readdir(blobsDirectory)).toEqual(lost.bytes);
  });

  test('JSON records present but object-bytes/ holds files they do not name: refuses rather than import over them', async () => {
    const lost = await storeThenLoseTheDatabase();
    await writeEarlierBucket(join(lost.dataDirectory, 's3', BUCKET));
    await expect(openStoreFixture(lost.dataDirectory)).rejects.toBeInstanceOf(ObjectBytesWithoutDatabaseError);
    expect(await readdir(lost.bytesDirectory)).toEqual(lost.bytes);
  });

  test('an empty object-bytes/ with no database is a fresh start', async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), 's3-database-downgrade-'));
    await mkdir(join(dataDirectory, 's3', BUCKET, OBJECT_BYTES_DIRECTORY), { recursive: true });
    fixture = await openStoreFixture(dataDirectory);
    expect(fixture.bucket().list({ prefix: '', maxKeys: 10 }).objects).toEqual([]);
  });
});
