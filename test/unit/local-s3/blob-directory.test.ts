import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobDirectory } from '../../../infra/local/s3/model/blob-directory.ts';
import { EntityTooLarge } from '../../../infra/local/s3/s3-errors.ts';

describe('BlobDirectory staging', () => {
  let bucketDirectory: string;
  let blobs: BlobDirectory;

  beforeEach(async () => {
    bucketDirectory = await mkdtemp(join(tmpdir(), 'blobs-'));
    blobs = new BlobDirectory(bucketDirectory);
    await blobs.open(new Set());
  });
  afterEach(() => rm(bucketDirectory, { recursive: true, force: true }));

  const temporaryFiles = () => readdir(join(bucketDirectory, 'tmp'));

  it('leaves no temporary file when the body fails at once, before the file is even opened', async () => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const failing = new Readable({ read: () => failing.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })) });
      await expect(blobs.stage(failing, { maxBytes: 1024 })).rejects.toThrow('aborted');
      expect(await temporaryFiles()).toEqual([]);
    }
  });

  it('leaves no temporary file when the body runs past the limit', async () => {
    await expect(blobs.stage(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 })).rejects.toBeInstanceOf(EntityTooLarge);
    expect(await temporaryFiles()).toEqual([]);
  });

  it('stages a whole body and keeps it only when asked', async () => {
    const staged = await blobs.stage(Readable.from([Buffer.from('hello')]), { maxBytes: 1000 });
    expect(staged.size).toBe(5);
    expect(await temporaryFiles()).toEqual([staged.blobId]);
    await blobs.keep(staged);
    expect(await temporaryFiles()).toEqual([]);
    expect(await readdir(join(bucketDirectory, 'blobs'))).toEqual([staged.blobId]);
  });
});
