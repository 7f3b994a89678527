import { checksumHeaderName, createChecksumDigest, parseChecksumAlgorithm, type ChecksumAlgorithm } from '../model/checksum-algorithms.ts';
import { objectBytesStream } from '../model/blob-directory.ts';
import { parseBoundedInteger } from '../protocol/query-parameters.ts';
import { parseObjectAttributes, writeEncryptionHeaders } from '../protocol/object-headers.ts';
import type { CopySource } from '../protocol/parse-operation.ts';
import { parseCopySourceRange } from '../protocol/parse-range.ts';
import { parseCompleteMultipartUpload } from '../protocol/parse-request-documents.ts';
import { renderListPartsResult } from '../protocol/render-list-results.ts';
import { renderCompleteMultipartUploadResult, renderCopyPartResult, renderInitiateMultipartUploadResult } from '../protocol/render-write-results.ts';
import { InvalidRequest, NotImplemented } from '../s3-errors.ts';
import { requestHeader } from '../protocol/s3-request.ts';
import { encodeRfc3986 } from '../../sigv4/signed-request.ts';
import type { S3OperationContext } from './operation-context.ts';
import { readSmallRequestBody, stageRequestBody } from './s3-request-body.ts';
import { sendEmpty, sendXml } from './send-response.ts';
import { findCopySource, parseWriteConditions, writeChecksumHeaders } from './write-object.ts';

const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

export async function createMultipartUpload(context: S3OperationContext, key: string): Promise<void> {
  const { request, response, bucket, limits } = context;
  const attributes = parseObjectAttributes(request, limits.maxUserMetadataBytes, context);
  const algorithmHeader = requestHeader(request, 'x-amz-checksum-algorithm');
  const checksumAlgorithm = algorithmHeader === undefined ? undefined : parseChecksumAlgorithm(algorithmHeader);
  if (algorithmHeader !== undefined && checksumAlgorithm === undefined) throw new InvalidRequest('Checksum algorithm provided is unsupported.');
  const checksumType = requestHeader(request, 'x-amz-checksum-type');
  if (checksumType !== undefined && checksumType.toUpperCase() !== 'COMPOSITE') throw new NotImplemented(`x-amz-checksum-type ${checksumType}`);
  const upload = await bucket.createUpload({ key, attributes, initiator: context.caller.sessionArn, ...(checksumAlgorithm && { checksumAlgorithm }) });
  writeEncryptionHeaders(response, attributes.encryption);
  if (checksumAlgorithm) {
    response.setHeader('x-amz-checksum-algorithm', checksumAlgorithm);
    response.setHeader('x-amz-checksum-type', 'COMPOSITE');
  }
  sendXml(response, renderInitiateMultipartUploadResult(bucket.name, key, upload.uploadId));
}

export async function uploadPart(context: S3OperationContext, key: string, uploadId: string, partNumber: number): Promise<void> {
  const { response, bucket, limits } = context;
  const { upload } = bucket.upload(uploadId, key);
  const { staged } = await stageRequestBody(context, limits.maxPartBytes, [upload.checksumAlgorithm]);
  const checksum = partChecksum(upload.checksumAlgorithm, staged.digests);
  const part = await bucket.putPart({ uploadId, key, partNumber, staged, ...(checksum !== undefined && { checksum }) });
  writeEncryptionHeaders(response, upload.attributes.encryption);
  if (upload.checksumAlgorithm && part.checksum !== undefined) response.setHeader(checksumHeaderName(upload.checksumAlgorithm), part.checksum);
  response.setHeader('etag', part.etag);
  sendEmpty(response, 200);
}

export async function uploadPartCopy(context: S3OperationContext, key: string, uploadId: string, partNumber: number, source: CopySource): Promise<void> {
  const { request, response, bucket, limits } = context;
  const { upload } = bucket.upload(uploadId, key);
  const sourceRecord = findCopySource(context, source);
  const rangeHeader = requestHeader(request, 'x-amz-copy-source-range');
  const range = rangeHeader === undefined ? { start: 0, end: sourceRecord.size - 1 } : parseCopySourceRange(rangeHeader, sourceRecord.size);
  if (range.end - range.start + 1 > limits.maxPartBytes) throw new InvalidRequest(`The specified copy range is larger than the maximum part size: ${limits.maxPartBytes}`);
  const digests = upload.checksumAlgorithm ? { [upload.checksumAlgorithm]: createChecksumDigest(upload.checksumAlgorithm) } : {};
  const staged = await bucket.stage(objectBytesStream(await context.store.bucket(source.bucket).read(sourceRecord, range.start, range.end)), { maxBytes: limits.maxPartBytes, digests });
  const checksum = partChecksum(upload.checksumAlgorithm, staged.digests);
  const part = await bucket.putPart({ uploadId, key, partNumber, staged, ...(checksum !== undefined && { checksum }) });
  writeEncryptionHeaders(response, upload.attributes.encryption);
  sendXml(response, renderCopyPartResult(part));
}

export async function completeMultipartUpload(context: S3OperationContext, key: string, uploadId: string): Promise<void> {
  const { request, response, bucket, limits } = context;
  const conditions = parseWriteConditions(request);
  bucket.upload(uploadId, key);
  const parts = parseCompleteMultipartUpload(await readSmallRequestBody(context, MAX_COMPLETE_BODY_BYTES));
  const record = await bucket.completeUpload({ uploadId, key, parts, conditions, minPartBytes: limits.minPartBytes });
  writeEncryptionHeaders(response, record.encryption);
  writeChecksumHeaders(context, record);
  const location = `${context.endpointUrl}/${encodeRfc3986(bucket.name)}/${key.split('/').map(encodeRfc3986).join('/')}`;
  sendXml(response, renderCompleteMultipartUploadResult(location, bucket.name, record));
}

export async function abortMultipartUpload(context: S3OperationContext, key: string, uploadId: string): Promise<void> {
  await context.bucket.abortUpload(uploadId, key);
  sendEmpty(context.response, 204);
}

export function listParts(context: S3OperationContext, key: string, uploadId: string): void {
  const { request, bucket } = context;
  const { upload, parts } = bucket.upload(uploadId, key);
  const maxParts = parseBoundedInteger(request.query.get('max-parts'), 'max-parts', 1000);
  const marker = parseBoundedInteger(request.query.get('part-number-marker'), 'part-number-marker', 0, Number.MAX_SAFE_INTEGER);
  const after = [...parts.values()].filter((part) => part.partNumber > marker).sort((left, right) => left.partNumber - right.partNumber);
  sendXml(
    context.response,
    renderListPartsResult({ bucket: bucket.name, upload, partNumberMarker: marker, maxParts, parts: after.slice(0, maxParts), isTruncated: after.length > maxParts, owner: context.owner }),
  );
}

function partChecksum(algorithm: ChecksumAlgorithm | undefined, digests: Record<string, Buffer>): string | undefined {
  return algorithm ? digests[algorithm]?.toString('base64') : undefined;
}
