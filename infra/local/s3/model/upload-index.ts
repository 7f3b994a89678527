import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../../persistence/atomic-file.ts';
import { compareKeys } from './key-order.ts';
import type { PartRecord, UploadRecord } from './object-record.ts';

export interface StoredUpload {
  upload: UploadRecord;
  parts: Map<number, PartRecord>;
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;
const PART_FILE = /^part-(\d{1,5})\.json$/;

/**
 * In-progress multipart uploads of one bucket: `uploads/<upload id>/upload.json` and one
 * `part-<n>.json` per part, each written atomically; held in memory as well. Upload ids are
 * generated here and only ever looked up, never taken from a request into a path.
 */
export class UploadIndex {
  private readonly uploads = new Map<string, StoredUpload>();

  private constructor(private readonly directory: string) {}

  static async load(bucketDirectory: string): Promise<UploadIndex> {
    const index = new UploadIndex(join(bucketDirectory, 'uploads'));
    await mkdir(index.directory, { recursive: true });
    for (const uploadId of await readdir(index.directory)) {
      const uploadDirectory = join(index.directory, uploadId);
      const upload = UPLOAD_ID.test(uploadId) ? await readJsonFile<UploadRecord>(join(uploadDirectory, 'upload.json')).catch(() => undefined) : undefined;
      if (!upload) {
        await rm(uploadDirectory, { recursive: true, force: true });
        continue;
      }
      const parts = new Map<number, PartRecord>();
      for (const name of await readdir(uploadDirectory)) {
        if (name.startsWith('.')) await rm(join(uploadDirectory, name), { force: true });
        else if (PART_FILE.test(name)) {
          const part = await readJsonFile<PartRecord>(join(uploadDirectory, name));
          if (part) parts.set(part.partNumber, part);
        }
      }
      index.uploads.set(uploadId, { upload, parts });
    }
    return index;
  }

  get(uploadId: string): StoredUpload | undefined {
    return this.uploads.get(uploadId);
  }

  /** Uploads in ListMultipartUploads order: by key, then by initiation time. */
  sorted(): StoredUpload[] {
    return [...this.uploads.values()].sort(
      (left, right) => compareKeys(left.upload.key, right.upload.key) || left.upload.initiated.localeCompare(right.upload.initiated) || left.upload.uploadId.localeCompare(right.upload.uploadId),
    );
  }

  *allParts(): Generator<PartRecord> {
    for (const { parts } of this.uploads.values()) yield* parts.values();
  }

  async create(upload: UploadRecord): Promise<void> {
    await writeFileAtomic(join(this.directory, upload.uploadId, 'upload.json'), JSON.stringify(upload));
    this.uploads.set(upload.uploadId, { upload, parts: new Map() });
  }

  async putPart(uploadId: string, part: PartRecord): Promise<void> {
    const stored = this.uploads.get(uploadId);
    if (!stored) throw new Error(`Unknown upload ${uploadId}`);
    await writeFileAtomic(join(this.directory, uploadId, `part-${part.partNumber}.json`), JSON.stringify(part));
    stored.parts.set(part.partNumber, part);
  }

  async remove(uploadId: string): Promise<void> {
    if (!this.uploads.has(uploadId)) return;
    this.uploads.delete(uploadId);
    await rm(join(this.directory, uploadId), { recursive: true, force: true });
  }
}
