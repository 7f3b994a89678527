import { AbortMultipartUploadCommand, ListPartsCommand, type CompletedPart, type S3Client } from '@aws-sdk/client-s3';
import { toStorageError } from './storage-errors.ts';

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
