import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ResumeRecord, ResumeStore } from './resume-store.ts';
import { StorageError, toStorageError } from './storage-errors.ts';
import type { RandomAccessSource } from './upload-source.ts';

export interface UploadProgress {
  loadedBytes: number;
  totalBytes: number;
  partsDone?: number;
  partsTotal?: number;
}

export interface MultipartUploadRequest {
  s3: S3Client;
  bucket: string;
  key: string;
  source: RandomAccessSource;
  partSize: number;
  concurrency: number;
  contentType?: string;
  metadata?: Record<string, string>;
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
  resumeStore?: ResumeStore;
}

export interface MultipartUploadResult {
  etag: string;
  resumed: boolean;
  partsSent: number;
}

/**
 * Uploads a random-access source in parts, `concurrency` at a time, reading each part only when
 * it is about to be sent. With a resume store, the upload id is remembered as soon as it exists;
 * a later call for the same key and content lists the parts S3 already has and sends only the
 * missing ones. Cancelling through the signal aborts the upload on S3 and forgets it.
 */
export async function uploadInParts(request: MultipartUploadRequest): Promise<MultipartUploadResult> {
  const { s3, bucket, key, source, partSize, signal } = request;
  const resumeId = `${bucket}/${key}`;
  const partsTotal = Math.max(1, Math.ceil(source.size / partSize));
  const completed = new Map<number, CompletedPart & { size: number }>();

  let record = await findResumableUpload(request, resumeId, completed);
  const resumed = record !== undefined;
  if (!record) {
    const created = await send(() =>
      s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: request.contentType, Metadata: request.metadata, ChecksumAlgorithm: 'CRC32' }),
        { abortSignal: signal },
      ),
    `starting the upload of ${key}`);
    record = { uploadId: created.UploadId!, key, size: source.size, partSize, fingerprint: source.fingerprint, createdAt: new Date().toISOString() };
    await request.resumeStore?.set(resumeId, record);
  }
  const uploadId = record.uploadId;

  let loadedBytes = [...completed.values()].reduce((sum, part) => sum + part.size, 0);
  const report = () => request.onProgress?.({ loadedBytes, totalBytes: source.size, partsDone: completed.size, partsTotal });
  report();

  const pending = Array.from({ length: partsTotal }, (_, index) => index + 1).filter((partNumber) => !completed.has(partNumber));
  let partsSent = 0;
  let failed = false;
  const worker = async () => {
    // One buffer per part in flight, reused: memory stays at part size x concurrency.
    const buffer = new Uint8Array(partSize);
    for (let partNumber = pending.shift(); partNumber !== undefined && !failed; partNumber = pending.shift()) {
      if (signal?.aborted) return;
      const start = (partNumber - 1) * partSize;
      const end = Math.min(start + partSize, source.size);
      const body = await source.read(start, end, buffer);
      const response = await send(() =>
        s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ChecksumAlgorithm: 'CRC32' }), { abortSignal: signal }),
      `sending part ${partNumber} of ${key}`).catch((error: unknown) => {
        failed = true;
        throw error;
      });
      completed.set(partNumber, { PartNumber: partNumber, ETag: response.ETag, ChecksumCRC32: response.ChecksumCRC32, size: end - start });
      partsSent += 1;
      loadedBytes += end - start;
      report();
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(request.concurrency, Math.max(1, pending.length)) }, worker));
    if (signal?.aborted) throw new StorageError('Aborted', `Cancelled: upload of ${key}.`);
    const parts = [...completed.values()].sort((a, b) => a.PartNumber! - b.PartNumber!).map(({ size: _size, ...part }) => part);
    const done = await send(() =>
      s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts }, IfNoneMatch: request.ifNoneMatch ? '*' : undefined }),
        { abortSignal: signal },
      ),
    `finishing the upload of ${key}`);
    await request.resumeStore?.delete(resumeId);
    return { etag: done.ETag ?? '', resumed, partsSent };
  } catch (error) {
    const failure = signal?.aborted ? new StorageError('Aborted', `Cancelled: upload of ${key}.`, { cause: error }) : toStorageError(error, `upload of ${key}`);
    if (failure.code === 'Aborted' || failure.code === 'Conflict' || failure.code === 'AlreadyExists') {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      await request.resumeStore?.delete(resumeId);
    }
    throw failure;
  }
}

async function findResumableUpload(request: MultipartUploadRequest, resumeId: string, completed: Map<number, CompletedPart & { size: number }>): Promise<ResumeRecord | undefined> {
  const record = await request.resumeStore?.get(resumeId);
  if (!record) return undefined;
  const sameContent = record.key === request.key && record.size === request.source.size && record.partSize === request.partSize && record.fingerprint === request.source.fingerprint;
  if (!sameContent) {
    await request.s3.send(new AbortMultipartUploadCommand({ Bucket: request.bucket, Key: record.key, UploadId: record.uploadId })).catch(() => undefined);
    await request.resumeStore?.delete(resumeId);
    return undefined;
  }
  try {
    let marker: string | undefined;
    do {
      const page = await request.s3.send(new ListPartsCommand({ Bucket: request.bucket, Key: request.key, UploadId: record.uploadId, PartNumberMarker: marker }), { abortSignal: request.signal });
      for (const part of page.Parts ?? []) {
        const expectedSize = Math.min(request.partSize, request.source.size - (part.PartNumber! - 1) * request.partSize);
        if (part.Size !== expectedSize) continue;
        completed.set(part.PartNumber!, { PartNumber: part.PartNumber, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32, size: expectedSize });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return record;
  } catch (error) {
    const failure = toStorageError(error, `resuming the upload of ${request.key}`);
    if (failure.code !== 'NotFound') throw failure;
    completed.clear();
    await request.resumeStore?.delete(resumeId);
    return undefined;
  }
}

async function send<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStorageError(error, what);
  }
}

/** A part S3 has, as CompleteMultipartUpload needs it, with its size. */
export type UploadedPart = CompletedPart & { PartNumber: number; size: number };

/** The planned size of part `partNumber` (1-based) of an object of `totalBytes` cut in `partSize` parts. */
export function plannedPartSize(partNumber: number, partSize: number, totalBytes: number): number {
  return Math.max(0, Math.min(partSize, totalBytes - (partNumber - 1) * partSize));
}

/**
 * The parts S3 already has for `uploadId` at their planned size, all pages of ListParts. A part
 * cut at another size (an earlier attempt with another plan) is left out, so it is sent again.
 * Undefined when S3 no longer knows the upload (NoSuchUpload).
 */
export async function listUploadedParts(
  s3: S3Client,
  target: { bucket: string; key: string; uploadId: string; partSize: number; totalBytes: number },
  signal: AbortSignal,
): Promise<Map<number, UploadedPart> | undefined> {
  const parts = new Map<number, UploadedPart>();
  try {
    let marker: string | undefined;
    do {
      const page = await s3.send(new ListPartsCommand({ Bucket: target.bucket, Key: target.key, UploadId: target.uploadId, PartNumberMarker: marker }), { abortSignal: signal });
      for (const part of page.Parts ?? []) {
        const expectedSize = plannedPartSize(part.PartNumber!, target.partSize, target.totalBytes);
        if (part.Size !== expectedSize) continue;
        parts.set(part.PartNumber!, { PartNumber: part.PartNumber!, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32, size: expectedSize });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  } catch (error) {
    const failure = toStorageError(error, `listing the parts of the upload of ${target.key}`);
    if (failure.code === 'NotFound') return undefined;
    throw failure;
  }
}

/** Aborts a multipart upload on S3, so its parts stop costing storage; a vanished upload is fine. */
export async function abortMultipartUpload(s3: S3Client, target: { bucket: string; key: string; uploadId: string }): Promise<void> {
  await s3.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: target.uploadId })).catch(() => undefined);
}
