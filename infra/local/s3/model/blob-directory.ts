import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatementSync } from 'node:sqlite';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runInTransaction, type LocalDatabase } from '../../persistence/local-database.ts';
import type { IncrementalDigest } from './checksum-algorithms.ts';
import type { BlobSegment } from './object-record.ts';
import { EntityTooLarge, ObjectBytesMissing } from '../s3-errors.ts';

/** A body written to its blob file, fsynced, not yet part of any object (its id is still loose). */
export interface StagedBlob {
  blobId: string;
  size: number;
  md5: Buffer;
  /** Raw digests of the extra algorithms asked for when staging, by the names given. */
  digests: Record<string, Buffer>;
}

export const BLOB_ID = /^[0-9a-f]{32}$/;

/**
 * Where a bucket's blob files live, under its directory. Not `blobs/`: the JSON-file version
 * deletes every file there that no JSON record names, so a downgrade would wipe these.
 */
export const OBJECT_BYTES_DIRECTORY = 'object-bytes';

/**
 * The bytes of objects and parts, one file per blob in `object-bytes/` under random ids (never derived
 * from keys, so no key can name a path). Every file that may exist without a record pointing at
 * it is listed in `s3_loose_blobs` first (docs/local-state.md): a body's id before its file is
 * created, a freed blob's id in the transaction that drops its record. The transaction that
 * commits a record claims its blobs (see {@link claim}); {@link open} removes whatever is loose.
 */
export class BlobDirectory {
  private readonly blobsDirectory: string;
  private readonly insertLoose: StatementSync;
  private readonly deleteLoose: StatementSync;
  private readonly selectLoose: StatementSync;
  private readonly selectAllLoose: StatementSync;

  constructor(
    bucketDirectory: string,
    private readonly database: LocalDatabase,
    private readonly bucket: string,
  ) {
    this.blobsDirectory = join(bucketDirectory, OBJECT_BYTES_DIRECTORY);
    this.insertLoose = database.prepare('INSERT OR IGNORE INTO s3_loose_blobs (bucket, blob_id) VALUES (?, ?)');
    this.deleteLoose = database.prepare('DELETE FROM s3_loose_blobs WHERE bucket = ? AND blob_id = ?');
    this.selectLoose = database.prepare('SELECT 1 FROM s3_loose_blobs WHERE bucket = ? AND blob_id = ?');
    this.selectAllLoose = database.prepare('SELECT blob_id FROM s3_loose_blobs WHERE bucket = ?');
  }

  /** Creates the directory once and removes the files of every loose blob: the leftovers of writes a crash interrupted. */
  async open(): Promise<void> {
    await mkdir(this.blobsDirectory, { recursive: true });
    const loose = (this.selectAllLoose.all(this.bucket) as Array<{ blob_id: string }>).map((row) => row.blob_id);
    await this.removeLoose(loose);
  }

  /**
   * Streams `source` straight into a new blob file, computing its MD5 and the given digests on the
   * way, and fsyncs it through the same descriptor before closing. Fails with
   * {@link EntityTooLarge} past `maxBytes`; on any failure the file is gone.
   */
  async stage(source: Readable, options: { maxBytes: number; digests?: Record<string, IncrementalDigest> }): Promise<StagedBlob> {
    const blobId = randomBytes(16).toString('hex');
    this.insertLoose.run(this.bucket, blobId);
    const meter = new BodyMeter(options.maxBytes, options.digests ?? {});
    const file = createWriteStream(this.blobPath(blobId), { flags: 'wx', mode: 0o600, flush: true });
    try {
      await pipeline(source, meter, file);
    } catch (error) {
      // The file is opened asynchronously: a body that fails at once can reject before the open
      // creates it, so wait until the stream has closed before removing it.
      if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
      await this.removeLoose([blobId]);
      throw error;
    }
    return { blobId, size: meter.bytes, md5: meter.md5.digest(), digests: await meter.finish() };
  }

  /** Removes a staged body no record claimed (a no-op once one did). */
  async discard(staged: StagedBlob): Promise<void> {
    if (this.selectLoose.get(this.bucket, staged.blobId) !== undefined) await this.removeLoose([staged.blobId]);
  }

  /** Inside the transaction that commits a record referring to these blobs: they are no longer loose. */
  claim(blobIds: Iterable<string>): void {
    for (const blobId of blobIds) this.deleteLoose.run(this.bucket, blobId);
  }

  /** Inside the transaction that drops the records referring to these blobs: they become loose, to be removed after the commit. */
  free(blobIds: Iterable<string>): void {
    for (const blobId of blobIds) this.insertLoose.run(this.bucket, blobId);
  }

  /** Unlinks loose blobs' files, then forgets them (a crash in between only repeats the unlink at the next open). */
  async removeLoose(blobIds: readonly string[]): Promise<void> {
    if (blobIds.length === 0) return;
    for (const blobId of blobIds) {
      await unlink(this.blobPath(blobId)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    runInTransaction(this.database, () => {
      for (const blobId of blobIds) this.deleteLoose.run(this.bucket, blobId);
    });
  }

  /**
   * Opens bytes `start..end` (inclusive) of the concatenation of `segments`, the bytes of `key`:
   * every blob file the range touches is opened before this resolves, so a missing one fails here
   * ({@link ObjectBytesMissing}), before an answer has begun. Up to {@link WHOLE_READ_BYTES} come
   * back read into one Buffer; more as a stream over the open files, which closes them when it
   * ends, fails or is destroyed.
   */
  async openRange(key: string, segments: readonly BlobSegment[], start: number, end: number): Promise<ObjectBytes> {
    const ranges = await this.openSegments(key, segmentRanges(segments, start, end));
    if (end - start + 1 > WHOLE_READ_BYTES) return new SegmentFilesStream(ranges);
    try {
      return await readWhole(ranges, end - start + 1);
    } finally {
      await Promise.all(ranges.map((range) => range.handle.close()));
    }
  }

  private async openSegments(key: string, ranges: SegmentRange[]): Promise<OpenSegmentRange[]> {
    const opened: OpenSegmentRange[] = [];
    try {
      for (const range of ranges) {
        const handle = await open(this.blobPath(range.blobId), 'r').catch((error: NodeJS.ErrnoException) => {
          throw error.code === 'ENOENT' ? new ObjectBytesMissing(this.bucket, key, range.blobId) : error;
        });
        opened.push({ ...range, handle });
      }
    } catch (error) {
      await Promise.all(opened.map((range) => range.handle.close()));
      throw error;
    }
    return opened;
  }

  private blobPath(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new Error(`Invalid blob id ${blobId}`);
    return join(this.blobsDirectory, blobId);
  }
}

/** An object's bytes as opened for an answer: read whole when small, else a stream over the open blob files. */
export type ObjectBytes = Buffer | Readable;

/** Opened bytes as a stream, for a consumer that takes one (a copy staging them). */
export function objectBytesStream(bytes: ObjectBytes): Readable {
  if (!Buffer.isBuffer(bytes)) return bytes;
  return Readable.from(bytes.length === 0 ? [] : [bytes]);
}

/** Ranges up to this size are read into one Buffer: cheaper than a stream, and sent with the headers in one write. */
export const WHOLE_READ_BYTES = 64 * 1024;
const STREAM_CHUNK_BYTES = 256 * 1024;

/** Bytes `from..to` (inclusive) of one blob file. */
interface SegmentRange {
  blobId: string;
  from: number;
  to: number;
}

interface OpenSegmentRange extends SegmentRange {
  handle: FileHandle;
}

/** The pieces of the blob files that hold bytes `start..end` of their concatenation (none for an empty range). */
function segmentRanges(segments: readonly BlobSegment[], start: number, end: number): SegmentRange[] {
  const ranges: SegmentRange[] = [];
  let segmentStart = 0;
  for (const segment of segments) {
    if (segmentStart > end) break;
    const segmentEnd = segmentStart + segment.size - 1;
    if (segment.size > 0 && segmentEnd >= start) {
      ranges.push({ blobId: segment.blobId, from: Math.max(start, segmentStart) - segmentStart, to: Math.min(end, segmentEnd) - segmentStart });
    }
    segmentStart += segment.size;
  }
  return ranges;
}

async function readWhole(ranges: readonly OpenSegmentRange[], length: number): Promise<Buffer> {
  const whole = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const range of ranges) {
    for (let position = range.from; position <= range.to; ) {
      const { bytesRead } = await range.handle.read(whole, offset, range.to - position + 1, position);
      if (bytesRead === 0) throw new BlobFileTooShort(range.blobId);
      position += bytesRead;
      offset += bytesRead;
    }
  }
  return whole;
}

/** A blob file that ends before its record says: its bytes were lost after it was written. */
class BlobFileTooShort extends Error {
  constructor(blobId: string) {
    super(`Blob file ${blobId} is shorter than its record says`);
  }
}

/**
 * Reads open blob files one after the other. Each handle is closed once its range is read, and
 * all that remain when the stream ends early (failure, or the reader went away).
 */
class SegmentFilesStream extends Readable {
  private index = 0;
  private position: number;

  constructor(private readonly ranges: OpenSegmentRange[]) {
    super({ highWaterMark: STREAM_CHUNK_BYTES });
    this.position = ranges[0]?.from ?? 0;
  }

  override _read(): void {
    this.readChunk().then(
      (chunk) => this.push(chunk),
      (error: unknown) => this.destroy(error as Error),
    );
  }

  private async readChunk(): Promise<Buffer | null> {
    const range = this.ranges[this.index];
    if (range === undefined) return null;
    const chunk = Buffer.allocUnsafe(Math.min(STREAM_CHUNK_BYTES, range.to - this.position + 1));
    const { bytesRead } = await range.handle.read(chunk, 0, chunk.length, this.position);
    // Destroyed meanwhile: _destroy has closed this handle with the rest.
    if (this.destroyed) return null;
    if (bytesRead === 0) throw new BlobFileTooShort(range.blobId);
    this.position += bytesRead;
    if (this.position > range.to) {
      this.index += 1;
      this.position = this.ranges[this.index]?.from ?? 0;
      await range.handle.close();
    }
    return bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A read still in flight holds its handle; Node closes a FileHandle only after its pending operations.
    const open = this.ranges.slice(this.index);
    this.index = this.ranges.length;
    Promise.all(open.map((range) => range.handle.close())).then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? (closeError as Error)),
    );
  }
}

/** Counts, limits and digests a body on its way to disk. */
class BodyMeter extends Transform {
  bytes = 0;
  readonly md5 = createHash('md5');

  constructor(
    private readonly maxBytes: number,
    private readonly digests: Record<string, IncrementalDigest>,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return callback(new EntityTooLarge(this.bytes, this.maxBytes));
    this.md5.update(chunk);
    for (const digest of Object.values(this.digests)) digest.update(chunk);
    callback(null, chunk);
  }

  async finish(): Promise<Record<string, Buffer>> {
    return Object.fromEntries(await Promise.all(Object.entries(this.digests).map(async ([name, digest]) => [name, await digest.digest()] as const)));
  }
}
