import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type Part,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { uploadInParts, type MultipartUploadRequest, type UploadProgress } from '../../../app/library/multipart-upload.ts';
import { MemoryResumeStore, type ResumeRecord } from '../../../app/library/resume-store.ts';
import { bytesSource } from '../../../app/library/upload-source.ts';

const BUCKET = 'bucket';
const KEY = 'users/me/big.bin';
const PART_SIZE = 10;

interface SentPart {
  partNumber: number;
  bytes: number[];
}

/** An S3 service error as the SDK throws it. */
function serviceError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from the fake`), { name, $metadata: { httpStatusCode: status } });
}

/**
 * The S3 client, the collaborator of the part planner: records the commands it is sent and
 * answers as S3 would, with hooks to fail a part, hold parts in flight or list parts S3 already has.
 */
class FakeS3 {
  readonly commands: string[] = [];
  readonly parts: SentPart[] = [];
  readonly completed: Array<{ parts: Array<{ PartNumber?: number; ETag?: string }>; ifNoneMatch: string | undefined }> = [];
  readonly aborted: string[] = [];
  /** ListParts pages, in order. */
  listedParts: Array<{ Parts: Part[]; IsTruncated?: boolean; NextPartNumberMarker?: string }> = [];
  /** The PartNumberMarker of each ListParts call. */
  readonly listMarkers: Array<string | undefined> = [];
  listPartsError: Error | undefined;
  completeError: Error | undefined;
  failPart: number | undefined;
  inFlight = 0;
  maxInFlight = 0;
  private uploads = 0;

  readonly client = { send: (command: unknown) => this.send(command) } as unknown as S3Client;

  private async send(command: unknown): Promise<unknown> {
    this.commands.push((command as object).constructor.name.replace(/Command$/, ''));
    if (command instanceof CreateMultipartUploadCommand) {
      expect(command.input).toMatchObject({ Bucket: BUCKET, Key: KEY, ChecksumAlgorithm: 'CRC32' });
      this.uploads += 1;
      return { UploadId: `upload-${this.uploads}` };
    }
    if (command instanceof UploadPartCommand) {
      const partNumber = command.input.PartNumber!;
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      // The body's buffer is reused for the next part: copy it before yielding.
      const bytes = [...(command.input.Body as Uint8Array)];
      await new Promise((resolve) => setTimeout(resolve, 1 + (partNumber % 3)));
      this.inFlight -= 1;
      if (partNumber === this.failPart) throw serviceError('InternalError', 500);
      this.parts.push({ partNumber, bytes });
      return { ETag: `"etag-${partNumber}"`, ChecksumCRC32: `crc-${partNumber}` };
    }
    if (command instanceof ListPartsCommand) {
      if (this.listPartsError) throw this.listPartsError;
      this.listMarkers.push(command.input.PartNumberMarker);
      return this.listedParts.shift() ?? { Parts: [] };
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      if (this.completeError) throw this.completeError;
      this.completed.push({ parts: command.input.MultipartUpload!.Parts!, ifNoneMatch: command.input.IfNoneMatch });
      return { ETag: '"final-etag-5"' };
    }
    if (command instanceof AbortMultipartUploadCommand) {
      this.aborted.push(command.input.UploadId!);
      return {};
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }
}

const content = (size: number) => Uint8Array.from({ length: size }, (_, index) => index % 251);

function request(s3: FakeS3, size: number, options: Partial<MultipartUploadRequest> = {}): MultipartUploadRequest {
  return { s3: s3.client, bucket: BUCKET, key: KEY, source: bytesSource(content(size), 'big.bin'), partSize: PART_SIZE, concurrency: 2, ...options };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & { code?: string },
  );
}

describe('uploadInParts: the part plan', () => {
  it('cuts the source into parts of partSize, the last one shorter, and completes them in part order', async () => {
    const s3 = new FakeS3();
    const result = await uploadInParts(request(s3, 4 * PART_SIZE + 3));
    expect(result).toEqual({ etag: '"final-etag-5"', resumed: false, partsSent: 5 });
    const sent = [...s3.parts].sort((a, b) => a.partNumber - b.partNumber);
    expect(sent.map((part) => [part.partNumber, part.bytes.length])).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
      [4, 10],
      [5, 3],
    ]);
    expect(sent.flatMap((part) => part.bytes)).toEqual([...content(4 * PART_SIZE + 3)]);
    expect(s3.completed).toEqual([{ parts: [1, 2, 3, 4, 5].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"`, ChecksumCRC32: `crc-${n}` })), ifNoneMatch: undefined }]);
  });

  it('sends a size that is a multiple of partSize as full parts only', async () => {
    const s3 = new FakeS3();
    await uploadInParts(request(s3, 3 * PART_SIZE));
    expect(s3.parts.map((part) => part.bytes.length)).toEqual([10, 10, 10]);
  });

  it('sends an empty source as one empty part (S3 needs at least one)', async () => {
    const s3 = new FakeS3();
    const result = await uploadInParts(request(s3, 0));
    expect(result.partsSent).toBe(1);
    expect(s3.parts).toEqual([{ partNumber: 1, bytes: [] }]);
  });

  it('keeps at most `concurrency` parts in flight', async () => {
    const three = new FakeS3();
    await uploadInParts(request(three, 12 * PART_SIZE, { concurrency: 3 }));
    expect(three.maxInFlight).toBe(3);
    const one = new FakeS3();
    await uploadInParts(request(one, 5 * PART_SIZE, { concurrency: 1 }));
    expect(one.maxInFlight).toBe(1);
    expect(one.parts.map((part) => part.partNumber)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports progress from zero to the whole size, part by part', async () => {
    const s3 = new FakeS3();
    const progress: UploadProgress[] = [];
    await uploadInParts(request(s3, 2 * PART_SIZE + 5, { onProgress: (event) => progress.push({ ...event }) }));
    expect(progress[0]).toEqual({ loadedBytes: 0, totalBytes: 25, partsDone: 0, partsTotal: 3 });
    expect(progress.at(-1)).toEqual({ loadedBytes: 25, totalBytes: 25, partsDone: 3, partsTotal: 3 });
    expect(progress.map((event) => event.partsDone)).toEqual([0, 1, 2, 3]);
  });

  it('asks S3 to refuse an overwrite on completion with ifNoneMatch, and aborts the upload on Conflict', async () => {
    const s3 = new FakeS3();
    s3.completeError = serviceError('PreconditionFailed', 412);
    const store = new MemoryResumeStore();
    const error = await rejection(uploadInParts(request(s3, 15, { ifNoneMatch: true, resumeStore: store })));
    expect(error).toMatchObject({ name: 'StorageError', code: 'Conflict' });
    expect(s3.aborted).toEqual(['upload-1']);
    expect(await store.get(`${BUCKET}/${KEY}`)).toBeUndefined();
  });

  it('stops starting parts after one fails, keeps the upload and its resume record for a later attempt', async () => {
    const s3 = new FakeS3();
    s3.failPart = 2;
    const store = new MemoryResumeStore();
    const error = await rejection(uploadInParts(request(s3, 10 * PART_SIZE, { concurrency: 1, resumeStore: store })));
    expect(error).toMatchObject({ name: 'StorageError', code: 'ServiceError', message: `The storage service failed sending part 2 of ${KEY} (InternalError).` });
    expect(s3.parts.map((part) => part.partNumber)).toEqual([1]);
    expect(s3.commands).not.toContain('CompleteMultipartUpload');
    expect(s3.aborted).toEqual([]);
    expect(await store.get(`${BUCKET}/${KEY}`)).toMatchObject({ uploadId: 'upload-1', key: KEY, size: 100, partSize: PART_SIZE, fingerprint: 'big.bin:100' });
  });

  it('aborts the upload on S3 and forgets it when cancelled through the signal', async () => {
    const s3 = new FakeS3();
    const store = new MemoryResumeStore();
    const controller = new AbortController();
    const upload = uploadInParts(request(s3, 10 * PART_SIZE, { concurrency: 1, resumeStore: store, signal: controller.signal, onProgress: (event) => event.partsDone === 2 && controller.abort() }));
    expect(await rejection(upload)).toMatchObject({ code: 'Aborted', message: `Cancelled: upload of ${KEY}.` });
    expect(s3.parts.length).toBeLessThan(10);
    expect(s3.aborted).toEqual(['upload-1']);
    expect(await store.get(`${BUCKET}/${KEY}`)).toBeUndefined();
  });
});

describe('uploadInParts: resuming', () => {
  const resumeId = `${BUCKET}/${KEY}`;
  const record = (overrides: Partial<ResumeRecord> = {}): ResumeRecord => ({ uploadId: 'earlier-upload', key: KEY, size: 45, partSize: PART_SIZE, fingerprint: 'big.bin:45', createdAt: '2026-01-01T00:00:00.000Z', ...overrides });

  it('sends only the parts S3 does not have at their planned size, across pages of ListParts', async () => {
    const s3 = new FakeS3();
    s3.listedParts = [
      { Parts: [{ PartNumber: 1, Size: 10, ETag: '"old-1"', ChecksumCRC32: 'old-crc-1' }], IsTruncated: true, NextPartNumberMarker: '1' },
      // Part 3 was cut with another part size: sent again.
      { Parts: [{ PartNumber: 2, Size: 10, ETag: '"old-2"' }, { PartNumber: 3, Size: 7, ETag: '"short-3"' }, { PartNumber: 5, Size: 5, ETag: '"old-5"' }] },
    ];
    const store = new MemoryResumeStore();
    await store.set(resumeId, record());
    const progress: UploadProgress[] = [];
    const result = await uploadInParts(request(s3, 45, { resumeStore: store, onProgress: (event) => progress.push({ ...event }) }));
    expect(result).toEqual({ etag: '"final-etag-5"', resumed: true, partsSent: 2 });
    expect(s3.commands.filter((name) => name === 'CreateMultipartUpload')).toEqual([]);
    expect(s3.listMarkers).toEqual([undefined, '1']);
    expect(s3.parts.map((part) => part.partNumber).sort()).toEqual([3, 4]);
    expect(progress[0]).toEqual({ loadedBytes: 25, totalBytes: 45, partsDone: 3, partsTotal: 5 });
    expect(s3.completed[0]!.parts.map((part) => [part.PartNumber, part.ETag])).toEqual([
      [1, '"old-1"'],
      [2, '"old-2"'],
      [3, '"etag-3"'],
      [4, '"etag-4"'],
      [5, '"old-5"'],
    ]);
    expect(await store.get(resumeId)).toBeUndefined();
  });

  it('aborts a remembered upload of other content (size, part size or fingerprint) and starts over', async () => {
    for (const stale of [record({ size: 44 }), record({ partSize: 20 }), record({ fingerprint: 'other.bin:45' })]) {
      const s3 = new FakeS3();
      const store = new MemoryResumeStore();
      await store.set(resumeId, stale);
      const result = await uploadInParts(request(s3, 45, { resumeStore: store }));
      expect(result.resumed).toBe(false);
      expect(s3.aborted).toEqual(['earlier-upload']);
      expect(s3.parts).toHaveLength(5);
      expect(s3.commands.filter((name) => name === 'ListParts')).toEqual([]);
    }
  });

  it('starts over when S3 no longer knows the remembered upload (NoSuchUpload)', async () => {
    const s3 = new FakeS3();
    s3.listPartsError = serviceError('NoSuchUpload', 404);
    const store = new MemoryResumeStore();
    await store.set(resumeId, record());
    const result = await uploadInParts(request(s3, 45, { resumeStore: store }));
    expect(result).toMatchObject({ resumed: false, partsSent: 5 });
    expect(s3.commands.slice(0, 2)).toEqual(['ListParts', 'CreateMultipartUpload']);
  });

  it('fails without starting over when listing the parts fails otherwise (AccessDenied)', async () => {
    const s3 = new FakeS3();
    s3.listPartsError = serviceError('AccessDenied', 403);
    const store = new MemoryResumeStore();
    await store.set(resumeId, record());
    expect(await rejection(uploadInParts(request(s3, 45, { resumeStore: store })))).toMatchObject({ code: 'AccessDenied' });
    expect(s3.commands).toEqual(['ListParts']);
    expect(await store.get(resumeId)).toEqual(record());
  });
});
