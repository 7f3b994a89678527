import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hasMigrated, LOCAL_DATABASE_FILE, recordMigration, runInTransaction, type LocalDatabase } from '../../persistence/local-database.ts';
import { BLOB_ID, OBJECT_BYTES_DIRECTORY } from './blob-directory.ts';
import { importJsonState, namesIn, readJsonState } from './json-state-import.ts';
import type { ObjectIndex } from './object-index.ts';
import { ObjectBytesWithoutDatabaseError } from './object-bytes-without-database-error.ts';
import type { UploadIndex } from './upload-index.ts';

/** Where the JSON-file version kept its records: their presence is what says there is something to import. */
const EARLIER_RECORD_DIRECTORIES = ['objects', 'uploads'];
/** Everything the JSON-file version writes in a bucket's directory: its records, its staging, its blob files. */
const EARLIER_DIRECTORIES = [...EARLIER_RECORD_DIRECTORIES, 'tmp', 'blobs'];

/**
 * Brings a bucket's directory to the current layout before the bucket opens (docs/local-state.md,
 * "Migration"): the import of the JSON files, with the move of their blob files from `blobs/`
 * (which the JSON-file version sweeps) into `object-bytes/`, recorded as one migration per bucket.
 *
 * - Not recorded, JSON records present: the blobs they refer to are renamed into
 *   `object-bytes/` and fsynced first, then one transaction imports the records and records the
 *   migration. A crash before the commit leaves the JSON files in place and each blob in one of
 *   the two directories, so the next start imports again and finds them wherever they are.
 * - Not recorded, no JSON records: a new bucket, unless blob files exist, which means the
 *   database that knew them is gone. Then it refuses to start ({@link ObjectBytesWithoutDatabaseError})
 *   and deletes nothing.
 *
 * Whatever was recorded, the JSON-file version's directories are removed last (not imported): the
 * leftovers of a removal a crash interrupted, or of an earlier version started on this directory.
 */
export async function upgradeBucketDirectory(input: { database: LocalDatabase; bucket: string; directory: string; objects: ObjectIndex; uploads: UploadIndex }): Promise<void> {
  const { database, bucket, directory } = input;
  const jsonImport = `s3-json-files:${bucket}`;
  const bytesDirectory = join(directory, OBJECT_BYTES_DIRECTORY);
  await mkdir(bytesDirectory, { recursive: true });
  if (hasMigrated(database, jsonImport)) {
    await removeEarlierDirectories(directory);
    return;
  }
  if (await anyExists(directory, EARLIER_RECORD_DIRECTORIES)) {
    const state = await readJsonState(directory);
    // Files of an import a crash interrupted are all named by the JSON records; any other file is an unknown object's bytes.
    const unknown = (await namesIn(bytesDirectory)).filter((name) => !state.blobIds.has(name));
    if (unknown.length > 0) throw new ObjectBytesWithoutDatabaseError(bytesDirectory, databaseFile(directory));
    await moveBlobFiles(directory, [...state.blobIds].filter((blobId) => BLOB_ID.test(blobId)));
    runInTransaction(database, () => {
      importJsonState(state, input.objects, input.uploads);
      recordMigration(database, jsonImport);
    });
  } else {
    for (const held of [bytesDirectory, join(directory, 'blobs')]) {
      if ((await namesIn(held)).length > 0) throw new ObjectBytesWithoutDatabaseError(held, databaseFile(directory));
    }
    runInTransaction(database, () => recordMigration(database, jsonImport));
  }
  await removeEarlierDirectories(directory);
}

/** Blob files still in blobs/ now are ones no record refers to: the JSON-file version's orphans. */
async function removeEarlierDirectories(directory: string): Promise<void> {
  for (const earlier of EARLIER_DIRECTORIES) await rm(join(directory, earlier), { recursive: true, force: true });
}

/** Renames blobs from `blobs/` into `object-bytes/` (one already moved, or missing, is skipped), then fsyncs both directories so no commit can outlive the renames. */
async function moveBlobFiles(bucketDirectory: string, blobIds: readonly string[]): Promise<void> {
  if (blobIds.length === 0) return;
  const from = join(bucketDirectory, 'blobs');
  const to = join(bucketDirectory, OBJECT_BYTES_DIRECTORY);
  for (const blobId of blobIds) {
    await rename(join(from, blobId), join(to, blobId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  for (const directory of [to, from]) await syncDirectory(directory);
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function anyExists(bucketDirectory: string, names: readonly string[]): Promise<boolean> {
  const parent = await namesIn(bucketDirectory);
  return names.some((name) => parent.includes(name));
}

function databaseFile(bucketDirectory: string): string {
  return resolve(bucketDirectory, '..', '..', LOCAL_DATABASE_FILE);
}
