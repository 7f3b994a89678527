import type { ObjectChecksum, ObjectRecord } from '../model/object-record.ts';
import { renderXmlDocument } from './xml-documents.ts';

export function renderCopyObjectResult(record: ObjectRecord): string {
  return renderXmlDocument('CopyObjectResult', { ETag: record.etag, LastModified: record.lastModified, ...checksumElements(record.checksum) });
}

export function renderCopyPartResult(part: { etag: string; lastModified: string }): string {
  return renderXmlDocument('CopyPartResult', { ETag: part.etag, LastModified: part.lastModified });
}

export function renderInitiateMultipartUploadResult(bucket: string, key: string, uploadId: string): string {
  return renderXmlDocument('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: uploadId });
}

/** The answer to a POST Object asking for `success_action_status` 201 (S3 sends it without a namespace). */
export function renderPostResponse(location: string, bucket: string, key: string, etag: string): string {
  return renderXmlDocument('PostResponse', { Location: location, Bucket: bucket, Key: key, ETag: etag }, false);
}

export function renderCompleteMultipartUploadResult(location: string, bucket: string, record: ObjectRecord): string {
  return renderXmlDocument('CompleteMultipartUploadResult', {
    Location: location,
    Bucket: bucket,
    Key: record.key,
    ETag: record.etag,
    ...checksumElements(record.checksum),
  });
}

export interface DeleteOutcome {
  key: string;
  error?: { code: string; message: string };
}

export function renderDeleteResult(outcomes: DeleteOutcome[], quiet: boolean): string {
  return renderXmlDocument('DeleteResult', {
    Deleted: outcomes.filter((outcome) => !outcome.error && !quiet).map((outcome) => ({ Key: outcome.key })),
    Error: outcomes.filter((outcome) => outcome.error).map((outcome) => ({ Key: outcome.key, Code: outcome.error?.code, Message: outcome.error?.message })),
  });
}

/** us-east-1 answers an empty LocationConstraint, every other region its name. */
export function renderLocationConstraint(region: string): string {
  return renderXmlDocument('LocationConstraint', region === 'us-east-1' ? {} : { '#text': region });
}

function checksumElements(checksum: ObjectChecksum | undefined): Record<string, string> {
  return checksum ? { [`Checksum${checksum.algorithm}`]: checksum.value, ChecksumType: checksum.type } : {};
}
