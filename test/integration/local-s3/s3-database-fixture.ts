import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { openLocalDatabase, type LocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { OBJECT_BYTES_DIRECTORY, objectBytesStream } from '../../../infra/local/s3/model/blob-directory.ts';
import type { Bucket } from '../../../infra/local/s3/model/bucket.ts';
import type { ObjectAttributes, ObjectRecord } from '../../../infra/local/s3/model/object-record.ts';
import { ObjectStore } from '../../../infra/local/s3/model/object-store.ts';

export const BUCKET = 'database-bucket';

export const ATTRIBUTES: ObjectAttributes = { headers: { contentType: 'text/plain' }, userMetadata: {}, encryption: { algorithm: 'AES256' }, storageClass: 'STANDARD' };

/** A data directory, a database connection the test can query, and the object store over both (reopened as a restart would). */
export interface StoreFixture {
  dataDirectory: string;
  blobsDirectory: string;
  database: LocalDatabase;
  store: ObjectStore;
  bucket: () => Bucket;
  /** Closes the store and the connection, then opens both again: a restart. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export async function openStoreFixture(dataDirectory?: string, clock: () => Date = () => new Date()): Promise<StoreFixture> {
  const directory = dataDirectory ?? (await mkdtemp(join(tmpdir(), 's3-database-')));
  const open = async () => {
    const database = openLocalDatabase(directory);
    try {
      return { database, store: await ObjectStore.open({ dataDirectory: directory, bucketNames: [BUCKET], clock, database }) };
    } catch (error) {
      database.close();
      throw error;
    }
  };
  let opened = await open();
  const fixture: StoreFixture = {
    dataDirectory: directory,
    blobsDirectory: join(directory, 's3', BUCKET, OBJECT_BYTES_DIRECTORY),
    get database() {
      return opened.database;
    },
    get store() {
      return opened.store;
    },
    bucket: () => opened.store.bucket(BUCKET),
    async reopen() {
      opened.store.close();
      opened.database.close();
      opened = await open();
    },
    /** Also after the test closed the store and connection itself (a restart it drives by hand). */
    async close() {
      opened.store.close();
      if (opened.database.isOpen) opened.database.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
  return fixture;
}

export async function putText(bucket: Bucket, key: string, body: string): Promise<ObjectRecord> {
  const staged = await bucket.stage(Readable.from([Buffer.from(body)]), { maxBytes: 1024 * 1024 });
  return bucket.putObject({ key, staged, attributes: ATTRIBUTES });
}

export async function readText(bucket: Bucket, key: string): Promise<string | undefined> {
  const record = bucket.get(key);
  if (!record) return undefined;
  return record.size === 0 ? '' : text(objectBytesStream(await bucket.read(record, 0, record.size - 1)));
}

export function looseBlobIds(database: LocalDatabase): string[] {
  return (database.prepare('SELECT blob_id FROM s3_loose_blobs ORDER BY blob_id').all() as Array<{ blob_id: string }>).map((row) => row.blob_id);
}
