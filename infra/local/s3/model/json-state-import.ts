import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../../persistence/atomic-file.ts';
import type { ObjectIndex } from './object-index.ts';
import type { ObjectRecord, PartRecord, UploadRecord } from './object-record.ts';
import type { UploadIndex } from './upload-index.ts';

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;
const PART_FILE = /^part-(\d{1,5})\.json$/;

interface EarlierUpload {
  upload: UploadRecord;
  parts: PartRecord[];
}

/** The records the JSON-file version left in a bucket's directory, and the blob ids they refer to. */
export interface JsonState {
  objects: ObjectRecord[];
  uploads: EarlierUpload[];
  blobIds: ReadonlySet<string>;
}

/**
 * Reads `objects/<sha256>.json` and `uploads/<id>/upload.json`, `part-<n>.json` as the JSON-file
 * version wrote them, skipping the leftovers of writes a crash interrupted.
 */
export async function readJsonState(bucketDirectory: string): Promise<JsonState> {
  const objects = await readEarlierObjects(join(bucketDirectory, 'objects'));
  const blobIds = new Set(objects.flatMap((record) => record.segments.map((segment) => segment.blobId)));
  const objectBlobs = new Set(blobIds);
  const uploads: EarlierUpload[] = [];
  for (const earlier of await readEarlierUploads(join(bucketDirectory, 'uploads'))) {
    // An upload whose parts an object already uses was completed just before a crash.
    if (earlier.parts.some((part) => objectBlobs.has(part.blobId))) continue;
    uploads.push(earlier);
    for (const part of earlier.parts) blobIds.add(part.blobId);
  }
  return { objects, uploads, blobIds };
}

/** Inside a transaction: writes the records read by {@link readJsonState} into the bucket's tables. */
export function importJsonState(state: JsonState, objects: ObjectIndex, uploads: UploadIndex): void {
  for (const record of state.objects) objects.put(record);
  for (const { upload, parts } of state.uploads) {
    uploads.create(upload);
    for (const part of parts) uploads.putPart(upload.uploadId, part);
  }
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

/** The names in a directory, none when it does not exist. */
export async function namesIn(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}
