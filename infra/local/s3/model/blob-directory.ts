import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatementSync } from 'node:sqlite';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runInTransaction, type LocalDatabase } from '../../persistence/local-database.ts';
import type { IncrementalDigest } from './checksum-algorithms.ts';
import type { BlobSegment } from './object-record.ts';
import { EntityTooLarge } from '../s3-errors.ts';

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

  /** Reads bytes `start..end` (inclusive) of the concatenation of `segments`. */
  read(segments: readonly BlobSegment[], start: number, end: number): Readable {
    const paths = segments.map((segment) => ({ path: this.blobPath(segment.blobId), size: segment.size }));
    return Readable.from(readSegments(paths, start, end));
  }

  private blobPath(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new Error(`Invalid blob id ${blobId}`);
    return join(this.blobsDirectory, blobId);
  }
}

async function* readSegments(segments: Array<{ path: string; size: number }>, start: number, end: number): AsyncGenerator<Buffer> {
  let segmentStart = 0;
  for (const segment of segments) {
    const segmentEnd = segmentStart + segment.size - 1;
    if (segment.size > 0 && segmentEnd >= start && segmentStart <= end) {
      const from = Math.max(start, segmentStart) - segmentStart;
      const to = Math.min(end, segmentEnd) - segmentStart;
      for await (const chunk of createReadStream(segment.path, { start: from, end: to, highWaterMark: 256 * 1024 })) yield chunk as Buffer;
    }
    segmentStart += segment.size;
    if (segmentStart > end) return;
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
