import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { planPartSize } from './part-size-plan.ts';

/** S3's limit for one CopyObject request. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * 1024 * 1024;

export interface ServerSideCopyRequest {
  s3: S3Client;
  bucket: string;
  sourceKey: string;
  targetKey: string;
  /** The source as HeadObject saw it: a multipart copy pins every part to this ETag. */
  source: { size: number; etag: string; contentType?: string; metadata?: Record<string, string> };
  /** Sources bigger than this are copied in parts (UploadPartCopy). */
  multipartThreshold: number;
  /** Preferred part size; grown so no copy needs more than 10,000 parts. */
  partSize: number;
  concurrency: number;
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
}

/**
 * `x-amz-copy-source` is `bucket/key` URL-encoded: S3 decodes it, so a key with spaces, `+`, `%`,
 * `?` or non-ASCII characters must be encoded segment by segment (the slashes stay).
 */
export function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Copies inside S3 (no bytes through the client): CopyObject up to the threshold, a multipart copy above. */
export async function copyInsideS3(request: ServerSideCopyRequest): Promise<{ etag: string; parts: number }> {
  const { s3, bucket, signal } = request;
  const copySource = encodeCopySource(bucket, request.sourceKey);
  if (request.source.size <= Math.min(request.multipartThreshold, MAX_SINGLE_COPY_BYTES)) {
    const answer = await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: request.targetKey, CopySource: copySource, CopySourceIfMatch: request.source.etag, MetadataDirective: 'COPY', IfNoneMatch: request.ifNoneMatch ? '*' : undefined }),
      { abortSignal: signal },
    );
    return { etag: answer.CopyObjectResult?.ETag ?? '', parts: 1 };
  }

  const { partSize, partCount } = planPartSize(request.source.size, request.partSize);
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: request.targetKey, ContentType: request.source.contentType, Metadata: request.source.metadata }),
    { abortSignal: signal },
  );
  const uploadId = created.UploadId!;
  try {
    const parts: CompletedPart[] = new Array(partCount);
    let next = 0;
    const worker = async () => {
      while (next < partCount) {
        const index = next++;
        const start = index * partSize;
        const end = Math.min(start + partSize, request.source.size) - 1;
        const answer = await s3.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: request.targetKey,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: copySource,
            CopySourceRange: `bytes=${start}-${end}`,
            // Every part from the same version: a source replaced midway fails the copy instead of mixing two.
            CopySourceIfMatch: request.source.etag,
          }),
          { abortSignal: signal },
        );
        parts[index] = { PartNumber: index + 1, ETag: answer.CopyPartResult?.ETag };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency, partCount)) }, worker));
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: request.targetKey, UploadId: uploadId, MultipartUpload: { Parts: parts }, IfNoneMatch: request.ifNoneMatch ? '*' : undefined }),
      { abortSignal: signal },
    );
    return { etag: completed.ETag ?? '', parts: partCount };
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: request.targetKey, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
