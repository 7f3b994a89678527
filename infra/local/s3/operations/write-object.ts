import type { ObjectAttributes, ObjectRecord } from '../model/object-record.ts';
import { objectBytesStream } from '../model/blob-directory.ts';
import { InvalidArgument, InvalidRequest, NoSuchKey, NotImplemented } from '../s3-errors.ts';
import { checkWriteConditions, type WriteConditions } from '../model/write-conditions.ts';
import { checksumHeaderName, createChecksumDigest, parseChecksumAlgorithm } from '../model/checksum-algorithms.ts';
import { parseObjectAttributes, writeEncryptionHeaders } from '../protocol/object-headers.ts';
import type { CopySource } from '../protocol/parse-operation.ts';
import { checkReadConditions } from '../protocol/read-conditions.ts';
import { renderCopyObjectResult } from '../protocol/render-write-results.ts';
import { requestHeader, type S3Request } from '../protocol/s3-request.ts';
import { stageRequestBody } from './s3-request-body.ts';
import type { S3OperationContext } from './operation-context.ts';
import { sendEmpty, sendXml } from './send-response.ts';

export async function putObject(context: S3OperationContext, key: string): Promise<void> {
  const { request, response, bucket, limits } = context;
  const attributes = parseObjectAttributes(request, limits.maxUserMetadataBytes, context);
  const conditions = parseWriteConditions(request);
  // Checked before the upload to spare sending the body in vain, and again when it is stored.
  checkWriteConditions(key, bucket.get(key), conditions);
  const { staged, checksum } = await stageRequestBody(context, limits.maxObjectBytes);
  const record = await bucket.putObject({ key, staged, attributes, conditions, ...(checksum && { checksum: { ...checksum, type: 'FULL_OBJECT' } }) });
  writeEncryptionHeaders(response, record.encryption);
  writeChecksumHeaders(context, record);
  response.setHeader('etag', record.etag);
  sendEmpty(response, 200);
}

export async function copyObject(context: S3OperationContext, key: string, source: CopySource): Promise<void> {
  const { request, response, bucket, limits } = context;
  const sourceRecord = findCopySource(context, source);
  // S3 applies the conditional-write headers to the copy's destination as to a PUT.
  const conditions = parseWriteConditions(request);
  checkWriteConditions(key, bucket.get(key), conditions);
  const directive = requestHeader(request, 'x-amz-metadata-directive') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new InvalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  if (requestHeader(request, 'x-amz-tagging-directive') !== undefined) throw new NotImplemented('header x-amz-tagging-directive');
  const requested = parseObjectAttributes(request, limits.maxUserMetadataBytes, context);
  const attributes: ObjectAttributes =
    directive === 'REPLACE'
      ? requested
      : { ...requested, headers: sourceRecord.headers, userMetadata: sourceRecord.userMetadata };
  if (source.bucket === bucket.name && source.key === key && directive === 'COPY' && !changesStorage(request)) {
    throw new InvalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (sourceRecord.size > limits.maxObjectBytes) {
    throw new InvalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${limits.maxObjectBytes}`);
  }
  const algorithmHeader = requestHeader(request, 'x-amz-checksum-algorithm');
  const algorithm = (algorithmHeader === undefined ? undefined : parseChecksumAlgorithm(algorithmHeader)) ?? sourceRecord.checksum?.algorithm;
  const sourceBucket = context.store.bucket(source.bucket);
  const staged = await bucket.stage(objectBytesStream(await sourceBucket.read(sourceRecord, 0, sourceRecord.size - 1)), {
    maxBytes: limits.maxObjectBytes,
    ...(algorithm && { digests: { [algorithm]: createChecksumDigest(algorithm) } }),
  });
  const checksumValue = algorithm ? staged.digests[algorithm]?.toString('base64') : undefined;
  const record = await bucket.putObject({
    key,
    staged,
    attributes,
    conditions,
    ...(algorithm && checksumValue !== undefined && { checksum: { algorithm, value: checksumValue, type: 'FULL_OBJECT' as const } }),
  });
  writeEncryptionHeaders(response, record.encryption);
  sendXml(response, renderCopyObjectResult(record));
}

export async function deleteObject(context: S3OperationContext, key: string): Promise<void> {
  await context.bucket.deleteObject(key);
  sendEmpty(context.response, 204);
}

/** The copy source object after its `x-amz-copy-source-if-*` conditions (each failure a 412). */
export function findCopySource(context: S3OperationContext, source: CopySource): ObjectRecord {
  const record = context.store.bucket(source.bucket).get(source.key);
  if (!record) throw new NoSuchKey(source.key);
  checkReadConditions(
    record,
    {
      ifMatch: requestHeader(context.request, 'x-amz-copy-source-if-match'),
      ifNoneMatch: requestHeader(context.request, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: requestHeader(context.request, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: requestHeader(context.request, 'x-amz-copy-source-if-unmodified-since'),
    },
    true,
  );
  return record;
}

export function parseWriteConditions(request: S3Request): WriteConditions {
  const ifNoneMatch = requestHeader(request, 'if-none-match');
  const ifMatch = requestHeader(request, 'if-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw new NotImplemented('If-None-Match other than * on writes');
  return { ...(ifNoneMatch !== undefined && { ifNoneMatch: '*' }), ...(ifMatch !== undefined && { ifMatch }) };
}

export function writeChecksumHeaders(context: S3OperationContext, record: ObjectRecord): void {
  if (!record.checksum) return;
  context.response.setHeader(checksumHeaderName(record.checksum.algorithm), record.checksum.value);
  context.response.setHeader('x-amz-checksum-type', record.checksum.type);
}

function changesStorage(request: S3Request): boolean {
  return ['x-amz-storage-class', 'x-amz-server-side-encryption', 'x-amz-website-redirect-location'].some((name) => request.headers[name] !== undefined);
}
