import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readJsonFile } from '../../persistence/atomic-file.ts';
import { BlobDirectory } from '../../s3/model/blob-directory.ts';
import type { ObjectRecord } from '../../s3/model/object-record.ts';

/** An object as the origin answers it. */
export type OriginObject = ObjectRecord;

/** What the CDN reads from its origin bucket: a record by key, and a byte range of it. */
export interface OriginBucket {
  readonly name: string;
  get(key: string): OriginObject | undefined | Promise<OriginObject | undefined>;
  /** Bytes `start..end` (inclusive). */
  read(object: OriginObject, start: number, end: number): Readable;
}

/**
 * Reads the local S3's bucket from its files, as a second reader beside the S3 server: each
 * record is read fresh by key (one small JSON file, written atomically, named by the SHA-256 of
 * the key as the S3 model names it) and the bytes from its blobs. It never writes, lists or
 * cleans up, so it cannot disturb the S3 server's own state.
 */
export class StoredBucketReader implements OriginBucket {
  private readonly blobs: BlobDirectory;

  constructor(
    readonly name: string,
    private readonly bucketDirectory: string,
  ) {
    this.blobs = new BlobDirectory(bucketDirectory);
  }

  static forDataDirectory(dataDirectory: string, bucketName: string): StoredBucketReader {
    return new StoredBucketReader(bucketName, join(dataDirectory, 's3', bucketName));
  }

  async get(key: string): Promise<OriginObject | undefined> {
    const recordName = `${createHash('sha256').update(key, 'utf8').digest('hex')}.json`;
    const record = await readJsonFile<OriginObject>(join(this.bucketDirectory, 'objects', recordName));
    return record?.key === key ? record : undefined;
  }

  read(object: OriginObject, start: number, end: number): Readable {
    return this.blobs.read(object.segments, start, end);
  }
}
