import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { runInTransaction, type LocalDatabase } from '../../persistence/local-database.ts';
import { BlobDirectory, type ObjectBytes, type StagedBlob } from './blob-directory.ts';
import { upgradeBucketDirectory } from './bucket-directory-upgrade.ts';
import { createChecksumDigest, type ChecksumAlgorithm, type IncrementalDigest } from './checksum-algorithms.ts';
import { KeyedLock } from './keyed-lock.ts';
import { listObjects, type ListObjectsPage, type ListObjectsQuery } from './list-objects.ts';
import { ObjectIndex } from './object-index.ts';
import type { ObjectAttributes, ObjectChecksum, ObjectRecord, PartRecord, UploadRecord } from './object-record.ts';
import { EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload } from '../s3-errors.ts';
import { UploadIndex, type StoredUpload } from './upload-index.ts';
import { checkWriteConditions, unquoteEtag, type WriteConditions } from './write-conditions.ts';

export interface CompletedPartReference {
  partNumber: number;
  etag: string;
  /** A checksum the client lists for the part; it must match the stored one. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/**
 * One bucket's state: object records, in-progress multipart uploads and their parts in the
 * database, the bytes in blob files beside it. Each change is one transaction, committed only
 * once the blobs it refers to are fsynced; blobs it frees are marked loose in that same
 * transaction and unlinked after it. Every change that reads then writes one object or one
 * upload runs under a per-key lock (completing an upload awaits between its read and its write).
 */
export class Bucket {
  private readonly lock = new KeyedLock();

  private constructor(
    readonly name: string,
    private readonly database: LocalDatabase,
    private readonly objects: ObjectIndex,
    private readonly uploads: UploadIndex,
    private readonly blobs: BlobDirectory,
    private readonly clock: () => Date,
  ) {}

  /** Reads nothing per object: brings the directory to the current layout (importing an earlier version's JSON files once), then removes the blobs of interrupted writes. */
  static async open(input: { name: string; directory: string; clock: () => Date; database: LocalDatabase }): Promise<Bucket> {
    const { name, directory, database } = input;
    const objects = new ObjectIndex(database, name);
    const uploads = new UploadIndex(database, name);
    const blobs = new BlobDirectory(directory, database, name);
    await upgradeBucketDirectory({ database, bucket: name, directory, objects, uploads });
    await blobs.open();
    return new Bucket(name, database, objects, uploads, blobs, input.clock);
  }

  stage(source: Readable, options: { maxBytes: number; digests?: Record<string, IncrementalDigest> }): Promise<StagedBlob> {
    return this.blobs.stage(source, options);
  }

  discard(staged: StagedBlob): Promise<void> {
    return this.blobs.discard(staged);
  }

  get(key: string): ObjectRecord | undefined {
    return this.objects.get(key);
  }

  /** Bytes `start..end` (inclusive) of an object, their files opened (see {@link BlobDirectory.openRange}). */
  read(record: ObjectRecord, start: number, end: number): Promise<ObjectBytes> {
    return this.blobs.openRange(record.key, record.segments, start, end);
  }

  list(query: ListObjectsQuery): ListObjectsPage {
    return listObjects(this.objects, query);
  }

  /** Makes a staged body the object at `key` (the staged blob is consumed either way). */
  async putObject(input: { key: string; staged: StagedBlob; attributes: ObjectAttributes; checksum?: ObjectChecksum; conditions?: WriteConditions }): Promise<ObjectRecord> {
    const { key, staged } = input;
    // Once the record commits, the blob is claimed: only a failed put has a body to remove.
    let committed = false;
    try {
      return await this.lock.run(`object:${key}`, async () => {
        const record: ObjectRecord = {
          key,
          size: staged.size,
          etag: `"${staged.md5.toString('hex')}"`,
          lastModified: this.now(),
          segments: [{ blobId: staged.blobId, size: staged.size }],
          ...input.attributes,
          ...(input.checksum && { checksum: input.checksum }),
        };
        const freed = runInTransaction(this.database, () => {
          const previous = this.objects.get(key);
          checkWriteConditions(key, previous, input.conditions ?? {});
          return this.replaceObject(record, previous);
        });
        committed = true;
        await this.blobs.removeLoose(freed);
        return record;
      });
    } finally {
      if (!committed) await this.blobs.discard(staged);
    }
  }

  async deleteObject(key: string): Promise<void> {
    await this.lock.run(`object:${key}`, async () => {
      const freed = runInTransaction(this.database, () => {
        const previous = this.objects.get(key);
        if (!previous) return [];
        this.objects.delete(key);
        const blobIds = previous.segments.map((segment) => segment.blobId);
        this.blobs.free(blobIds);
        return blobIds;
      });
      await this.blobs.removeLoose(freed);
    });
  }

  async createUpload(input: { key: string; attributes: ObjectAttributes; checksumAlgorithm?: ChecksumAlgorithm; initiator: string }): Promise<UploadRecord> {
    const upload: UploadRecord = {
      uploadId: randomBytes(24).toString('base64url'),
      key: input.key,
      initiated: this.now(),
      attributes: input.attributes,
      initiator: input.initiator,
      ...(input.checksumAlgorithm && { checksumAlgorithm: input.checksumAlgorithm }),
    };
    runInTransaction(this.database, () => this.uploads.create(upload));
    return upload;
  }

  /** The upload with this id for this key, or {@link NoSuchUpload}. */
  upload(uploadId: string, key: string): StoredUpload {
    const stored = this.uploads.get(uploadId);
    if (!stored || stored.upload.key !== key) throw new NoSuchUpload(uploadId);
    return stored;
  }

  uploadsInOrder(): StoredUpload[] {
    return this.uploads.sorted();
  }

  /** Makes a staged body part `partNumber` of an upload, replacing an earlier part with that number. */
  async putPart(input: { uploadId: string; key: string; partNumber: number; staged: StagedBlob; checksum?: string }): Promise<PartRecord> {
    const { staged } = input;
    let committed = false;
    try {
      return await this.lock.run(`upload:${input.uploadId}`, async () => {
        const part: PartRecord = {
          partNumber: input.partNumber,
          blobId: staged.blobId,
          size: staged.size,
          etag: `"${staged.md5.toString('hex')}"`,
          lastModified: this.now(),
          ...(input.checksum !== undefined && { checksum: input.checksum }),
        };
        const freed = runInTransaction(this.database, () => {
          const previous = this.upload(input.uploadId, input.key).parts.get(input.partNumber);
          this.uploads.putPart(input.uploadId, part);
          this.blobs.claim([staged.blobId]);
          if (!previous) return [];
          this.blobs.free([previous.blobId]);
          return [previous.blobId];
        });
        committed = true;
        await this.blobs.removeLoose(freed);
        return part;
      });
    } finally {
      if (!committed) await this.blobs.discard(staged);
    }
  }

  async completeUpload(input: { uploadId: string; key: string; parts: CompletedPartReference[]; conditions?: WriteConditions; minPartBytes: number }): Promise<ObjectRecord> {
    return this.lock.run(`upload:${input.uploadId}`, () =>
      this.lock.run(`object:${input.key}`, async () => {
        const { upload, parts: storedParts } = this.upload(input.uploadId, input.key);
        const chosen = choosePartsToComplete(input.parts, storedParts, input.minPartBytes);
        checkWriteConditions(input.key, this.objects.get(input.key), input.conditions ?? {});
        const etagOfEtags = createHash('md5');
        for (const part of chosen) etagOfEtags.update(Buffer.from(unquoteEtag(part.etag), 'hex'));
        const checksum = await compositeChecksum(upload.checksumAlgorithm, chosen);
        const record: ObjectRecord = {
          key: input.key,
          size: chosen.reduce((total, part) => total + part.size, 0),
          etag: `"${etagOfEtags.digest('hex')}-${chosen.length}"`,
          lastModified: this.now(),
          segments: chosen.map((part) => ({ blobId: part.blobId, size: part.size })),
          partCount: chosen.length,
          ...upload.attributes,
          ...(checksum && { checksum }),
        };
        const used = new Set(chosen.map((part) => part.blobId));
        const freed = runInTransaction(this.database, () => {
          // Both locks are held, so neither the object nor the upload changed while the checksum was computed.
          const replaced = this.replaceObject(record, this.objects.get(input.key));
          this.uploads.remove(input.uploadId);
          const unused = [...storedParts.values()].map((part) => part.blobId).filter((blobId) => !used.has(blobId));
          this.blobs.free(unused);
          return [...replaced, ...unused];
        });
        await this.blobs.removeLoose(freed);
        return record;
      }),
    );
  }

  async abortUpload(uploadId: string, key: string): Promise<void> {
    await this.lock.run(`upload:${uploadId}`, async () => {
      const freed = runInTransaction(this.database, () => {
        const { parts } = this.upload(uploadId, key);
        this.uploads.remove(uploadId);
        const blobIds = [...parts.values()].map((part) => part.blobId);
        this.blobs.free(blobIds);
        return blobIds;
      });
      await this.blobs.removeLoose(freed);
    });
  }

  /** Inside a transaction: writes the new record, claims its blobs and frees those of the record it replaces; returns the freed ids. */
  private replaceObject(record: ObjectRecord, previous: ObjectRecord | undefined): string[] {
    this.objects.put(record);
    const used = record.segments.map((segment) => segment.blobId);
    this.blobs.claim(used);
    const stillUsed = new Set(used);
    const freed = (previous?.segments ?? []).map((segment) => segment.blobId).filter((blobId) => !stillUsed.has(blobId));
    this.blobs.free(freed);
    return freed;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

function choosePartsToComplete(requested: CompletedPartReference[], stored: Map<number, PartRecord>, minPartBytes: number): PartRecord[] {
  const chosen: PartRecord[] = [];
  for (const [index, reference] of requested.entries()) {
    if (index > 0 && reference.partNumber <= (requested[index - 1] as CompletedPartReference).partNumber) throw new InvalidPartOrder();
    const part = stored.get(reference.partNumber);
    if (!part || unquoteEtag(part.etag) !== unquoteEtag(reference.etag)) throw new InvalidPart(reference.partNumber);
    if (reference.checksum && part.checksum !== undefined && reference.checksum.value !== part.checksum) {
      throw new InvalidPart(reference.partNumber, `The ${reference.checksum.algorithm.toLowerCase()} you specified for part ${reference.partNumber} did not match what we received.`);
    }
    chosen.push(part);
  }
  for (const part of chosen.slice(0, -1)) {
    if (part.size < minPartBytes) throw new EntityTooSmall(part.partNumber, part.size, minPartBytes);
  }
  return chosen;
}

/** S3's checksum of checksums: the algorithm over the concatenated raw part checksums, suffixed with the part count. */
async function compositeChecksum(algorithm: ChecksumAlgorithm | undefined, parts: PartRecord[]): Promise<ObjectChecksum | undefined> {
  // CRC64NVME objects only have full-object checksums on S3, which cannot be derived from part checksums here.
  if (algorithm === undefined || algorithm === 'CRC64NVME' || parts.some((part) => part.checksum === undefined)) return undefined;
  const digest = createChecksumDigest(algorithm);
  for (const part of parts) digest.update(Buffer.from(part.checksum as string, 'base64'));
  return { algorithm, value: `${(await digest.digest()).toString('base64')}-${parts.length}`, type: 'COMPOSITE' };
}
