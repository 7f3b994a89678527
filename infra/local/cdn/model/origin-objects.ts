import type { Readable } from 'node:stream';
import type { ObjectRecord } from '../../s3/model/object-record.ts';

/** An object as the origin answers it. */
export type OriginObject = ObjectRecord;

/**
 * What the CDN reads from its origin bucket: a record by key, and a byte range of it. The local
 * cloud hands it the S3 server's own bucket model (`ObjectStore.bucket(name)`), read-only here.
 */
export interface OriginBucket {
  readonly name: string;
  get(key: string): OriginObject | undefined | Promise<OriginObject | undefined>;
  /**
   * Bytes `start..end` (inclusive), their files opened before this resolves (so a lost blob file
   * fails here, before an answer starts): a Buffer when small, else a stream.
   */
  read(object: OriginObject, start: number, end: number): Promise<Buffer | Readable>;
}
