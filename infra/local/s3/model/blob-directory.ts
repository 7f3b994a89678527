import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IncrementalDigest } from './checksum-algorithms.ts';
import type { BlobSegment } from './object-record.ts';
import { EntityTooLarge } from '../s3-errors.ts';

/** A body written to a temporary file, not yet part of any object. */
export interface StagedBlob {
  blobId: string;
  size: number;
  md5: Buffer;
  /** Raw digests of the extra algorithms asked for when staging, by the names given. */
  digests: Record<string, Buffer>;
}

const BLOB_ID = /^[0-9a-f]{32}$/;

/**
 * The bytes of objects and parts, one file per blob under random ids (never derived from keys,
 * so no key can name a path). Bodies stream to `tmp/` and are renamed into `blobs/` only once
 * complete and verified, so a crash never leaves a partial blob in use.
 */
export class BlobDirectory {
  private readonly blobsDirectory: string;
  private readonly temporaryDirectory: string;

  constructor(bucketDirectory: string) {
    this.blobsDirectory = join(bucketDirectory, 'blobs');
    this.temporaryDirectory = join(bucketDirectory, 'tmp');
  }

  /** Creates the directories, drops temporary files of interrupted writes and blobs no record refers to. */
  async open(referencedBlobIds: ReadonlySet<string>): Promise<void> {
    await rm(this.temporaryDirectory, { recursive: true, force: true });
    await mkdir(this.temporaryDirectory, { recursive: true });
    await mkdir(this.blobsDirectory, { recursive: true });
    for (const name of await readdir(this.blobsDirectory)) {
      if (!referencedBlobIds.has(name)) await rm(join(this.blobsDirectory, name), { force: true });
    }
  }

  /**
   * Streams `source` into a temporary file, computing its MD5 and the given digests on the way.
   * Fails with {@link EntityTooLarge} past `maxBytes`; on any failure the temporary file is gone.
   */
  async stage(source: Readable, options: { maxBytes: number; digests?: Record<string, IncrementalDigest> }): Promise<StagedBlob> {
    const blobId = randomBytes(16).toString('hex');
    const temporaryPath = this.temporaryPath(blobId);
    const meter = new BodyMeter(options.maxBytes, options.digests ?? {});
    const file = createWriteStream(temporaryPath, { flags: 'wx', mode: 0o600 });
    try {
      await pipeline(source, meter, file);
      await flushToDisk(temporaryPath);
    } catch (error) {
      // The file is opened asynchronously: a body that fails at once can reject before the open
      // creates it, so wait until the stream has closed before removing it.
      if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
      await rm(temporaryPath, { force: true });
      throw error;
    }
    return { blobId, size: meter.bytes, md5: meter.md5.digest(), digests: await meter.finish() };
  }

  /** Moves a staged blob into place; from then on records may refer to it. */
  async keep(staged: StagedBlob): Promise<void> {
    await rename(this.temporaryPath(staged.blobId), this.blobPath(staged.blobId));
  }

  async discard(staged: StagedBlob): Promise<void> {
    await rm(this.temporaryPath(staged.blobId), { force: true });
  }

  async remove(blobIds: Iterable<string>): Promise<void> {
    for (const blobId of blobIds) await rm(this.blobPath(blobId), { force: true });
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

  private temporaryPath(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new Error(`Invalid blob id ${blobId}`);
    return join(this.temporaryDirectory, blobId);
  }
}

/** Written bytes reach the disk before the rename that publishes them (fsync through a fresh descriptor flushes the file). */
async function flushToDisk(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
