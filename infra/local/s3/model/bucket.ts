import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BlobDirectory, type StagedBlob } from './blob-directory.ts';
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
 * One bucket's state on disk under its own directory: object records, in-progress multipart
 * uploads and the blobs holding their bytes. Every change that reads then writes one object or
 * one upload runs under a per-key lock, and records are written only after their blobs are in
 * place, so readers never see a record pointing at missing or partial bytes.
 */
export class Bucket {
  private readonly lock = new KeyedLock();

  private constructor(
    readonly name: string,
    private readonly objects: ObjectIndex,
    private readonly uploads: UploadIndex,
    private readonly blobs: BlobDirectory,
    private readonly clock: () => Date,
  ) {}

  static async open(name: string, directory: string, clock: () => Date): Promise<Bucket> {
    const objects = await ObjectIndex.load(directory);
    const uploads = await UploadIndex.load(directory);
    const objectBlobs = new Set<string>();
    for (const record of objects.allRecords()) for (const segment of record.segments) objectBlobs.add(segment.blobId);
    // An upload whose parts an object already uses was completed just before a crash.
    for (const { upload, parts } of uploads.sorted()) {
      if ([...parts.values()].some((part) => objectBlobs.has(part.blobId))) await uploads.remove(upload.uploadId);
    }
    const referenced = new Set(objectBlobs);
    for (const part of uploads.allParts()) referenced.add(part.blobId);
    const blobs = new BlobDirectory(directory);
    await blobs.open(referenced);
    return new Bucket(name, objects, uploads, blobs, clock);
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

  /** Bytes `start..end` (inclusive) of an object. */
  read(record: ObjectRecord, start: number, end: number): Readable {
    return this.blobs.read(record.segments, start, end);
  }

  list(query: ListObjectsQuery): ListObjectsPage {
    return listObjects(this.objects, query);
  }

  /** Makes a staged body the object at `key` (the staged blob is consumed either way). */
  async putObject(input: { key: string; staged: StagedBlob; attributes: ObjectAttributes; checksum?: ObjectChecksum; conditions?: WriteConditions }): Promise<ObjectRecord> {
    const { key, staged } = input;
    try {
      return await this.lock.run(`object:${key}`, async () => {
        const previous = this.objects.get(key);
        checkWriteConditions(key, previous, input.conditions ?? {});
        await this.blobs.keep(staged);
        const record: ObjectRecord = {
          key,
          size: staged.size,
          etag: `"${staged.md5.toString('hex')}"`,
          lastModified: this.now(),
          segments: [{ blobId: staged.blobId, size: staged.size }],
          ...input.attributes,
          ...(input.checksum && { checksum: input.checksum }),
        };
        await this.replaceObject(record, previous, [staged.blobId]);
        return record;
      });
    } finally {
      await this.blobs.discard(staged);
    }
  }

  async deleteObject(key: string): Promise<void> {
    await this.lock.run(`object:${key}`, async () => {
      const previous = this.objects.get(key);
      if (!previous) return;
      await this.objects.delete(key);
      await this.blobs.remove(previous.segments.map((segment) => segment.blobId));
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
    await this.uploads.create(upload);
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
    try {
      return await this.lock.run(`upload:${input.uploadId}`, async () => {
        const previous = this.upload(input.uploadId, input.key).parts.get(input.partNumber);
        await this.blobs.keep(staged);
        const part: PartRecord = {
          partNumber: input.partNumber,
          blobId: staged.blobId,
          size: staged.size,
          etag: `"${staged.md5.toString('hex')}"`,
          lastModified: this.now(),
          ...(input.checksum !== undefined && { checksum: input.checksum }),
        };
        try {
          await this.uploads.putPart(input.uploadId, part);
        } catch (error) {
          await this.blobs.remove([staged.blobId]);
          throw error;
        }
        if (previous) await this.blobs.remove([previous.blobId]);
        return part;
      });
    } finally {
      await this.blobs.discard(staged);
    }
  }

  async completeUpload(input: { uploadId: string; key: string; parts: CompletedPartReference[]; conditions?: WriteConditions; minPartBytes: number }): Promise<ObjectRecord> {
    return this.lock.run(`upload:${input.uploadId}`, () =>
      this.lock.run(`object:${input.key}`, async () => {
        const { upload, parts: storedParts } = this.upload(input.uploadId, input.key);
        const chosen = choosePartsToComplete(input.parts, storedParts, input.minPartBytes);
        const previous = this.objects.get(input.key);
        checkWriteConditions(input.key, previous, input.conditions ?? {});
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
        await this.replaceObject(record, previous, [...used]);
        await this.uploads.remove(input.uploadId);
        await this.blobs.remove([...storedParts.values()].map((part) => part.blobId).filter((blobId) => !used.has(blobId)));
        return record;
      }),
    );
  }

  async abortUpload(uploadId: string, key: string): Promise<void> {
    await this.lock.run(`upload:${uploadId}`, async () => {
      const { parts } = this.upload(uploadId, key);
      await this.uploads.remove(uploadId);
      await this.blobs.remove([...parts.values()].map((part) => part.blobId));
    });
  }

  /** Writes the new record, then frees the blobs of the object it replaces (or its own, if the write fails). */
  private async replaceObject(record: ObjectRecord, previous: ObjectRecord | undefined, newBlobIds: string[]): Promise<void> {
    try {
      await this.objects.put(record);
    } catch (error) {
      await this.blobs.remove(newBlobIds);
      throw error;
    }
    const stillUsed = new Set(newBlobIds);
    if (previous) await this.blobs.remove(previous.segments.map((segment) => segment.blobId).filter((blobId) => !stillUsed.has(blobId)));
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
