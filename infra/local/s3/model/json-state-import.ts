import { readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../../persistence/atomic-file.ts';
import { hasMigrated, recordMigration, runInTransaction, type LocalDatabase } from '../../persistence/local-database.ts';
import { BLOB_ID, type BlobDirectory } from './blob-directory.ts';
import type { ObjectIndex } from './object-index.ts';
import type { ObjectRecord, PartRecord, UploadRecord } from './object-record.ts';
import type { UploadIndex } from './upload-index.ts';

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;
const PART_FILE = /^part-(\d{1,5})\.json$/;

interface EarlierUpload {
  upload: UploadRecord;
  parts: PartRecord[];
}

/**
 * Imports what the JSON-file version left in a bucket's directory (`objects/<sha256>.json`,
 * `uploads/<id>/upload.json` and `part-<n>.json`) in one transaction, marks blob files no imported
 * record refers to as loose (so the bucket's open removes them), records the migration, then
 * removes the old directories. The blobs stay where they are: both versions keep them in `blobs/`.
 */
export async function importJsonState(input: { database: LocalDatabase; bucket: string; directory: string; objects: ObjectIndex; uploads: UploadIndex; blobs: BlobDirectory }): Promise<void> {
  const migration = `s3-json-files:${input.bucket}`;
  if (hasMigrated(input.database, migration)) return;
  const records = await readEarlierObjects(join(input.directory, 'objects'));
  const uploads = await readEarlierUploads(join(input.directory, 'uploads'));
  const blobFiles = await namesIn(join(input.directory, 'blobs'));
  // Files that cannot be blob ids were never written by the bucket; nothing can refer to them.
  for (const name of blobFiles.filter((candidate) => !BLOB_ID.test(candidate))) await unlink(join(input.directory, 'blobs', name)).catch(() => undefined);
  runInTransaction(input.database, () => {
    const referenced = new Set<string>();
    for (const record of records) {
      input.objects.put(record);
      for (const segment of record.segments) referenced.add(segment.blobId);
    }
    const objectBlobs = new Set(referenced);
    for (const { upload, parts } of uploads) {
      // An upload whose parts an object already uses was completed just before a crash.
      if (parts.some((part) => objectBlobs.has(part.blobId))) continue;
      input.uploads.create(upload);
      for (const part of parts) {
        input.uploads.putPart(upload.uploadId, part);
        referenced.add(part.blobId);
      }
    }
    input.blobs.free(blobFiles.filter((name) => BLOB_ID.test(name) && !referenced.has(name)));
    recordMigration(input.database, migration);
  });
  for (const old of ['objects', 'uploads', 'tmp']) await rm(join(input.directory, old), { recursive: true, force: true });
}

async function readEarlierObjects(directory: string): Promise<ObjectRecord[]> {
  const records: ObjectRecord[] = [];
  // Dot files are temporaries of atomic writes a crash interrupted.
  for (const name of await namesIn(directory)) {
    if (name.startsWith('.') || !name.endsWith('.json')) continue;
    const record = await readJsonFile<ObjectRecord>(join(directory, name));
    if (record) records.push(record);
  }
  return records;
}

async function readEarlierUploads(directory: string): Promise<EarlierUpload[]> {
  const uploads: EarlierUpload[] = [];
  for (const uploadId of await namesIn(directory)) {
    if (!UPLOAD_ID.test(uploadId)) continue;
    const uploadDirectory = join(directory, uploadId);
    // An upload directory without upload.json is a create a crash interrupted.
    const upload = await readJsonFile<UploadRecord>(join(uploadDirectory, 'upload.json')).catch(() => undefined);
    if (!upload || upload.uploadId !== uploadId) continue;
    const parts: PartRecord[] = [];
    for (const name of await namesIn(uploadDirectory)) {
      if (!PART_FILE.test(name)) continue;
      const part = await readJsonFile<PartRecord>(join(uploadDirectory, name));
      if (part) parts.push(part);
    }
    uploads.push({ upload, parts });
  }
  return uploads;
}

async function namesIn(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}
