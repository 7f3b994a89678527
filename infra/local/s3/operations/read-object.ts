import { bucketArn } from '../request-permissions/operation-permissions.ts';
import { objectPart } from '../model/object-parts.ts';
import type { ObjectRecord } from '../model/object-record.ts';
import { AccessDenied, NoSuchKey } from '../s3-errors.ts';
import { writeObjectHeaders } from '../protocol/object-headers.ts';
import { parseRange } from '../protocol/parse-range.ts';
import { checkReadConditions } from '../protocol/read-conditions.ts';
import { requestHeader } from '../protocol/s3-request.ts';
import type { S3OperationContext } from './operation-context.ts';
import { sendBody } from './send-response.ts';

/** The bytes an answer carries: the whole object, a Range, or a part; `partial` ones are 206 with a Content-Range. */
interface ByteSelection {
  start: number;
  /** Inclusive; `start - 1` when nothing is selected. */
  end: number;
  partial: boolean;
  /** `x-amz-mp-parts-count`, for a part of a multipart object. */
  partCount?: number;
}

/** GetObject and HeadObject (which answers the same headers without the body), of the whole object, a Range or a part. */
export async function getObject(context: S3OperationContext, key: string, options: { headOnly: boolean; partNumber: number | undefined }): Promise<void> {
  const { request, response, bucket } = context;
  const record = await findReadableObject(context, key);
  response.setHeader('etag', record.etag);
  response.setHeader('last-modified', new Date(record.lastModified).toUTCString());
  checkReadConditions(record, {
    ifMatch: requestHeader(request, 'if-match'),
    ifNoneMatch: requestHeader(request, 'if-none-match'),
    ifModifiedSince: requestHeader(request, 'if-modified-since'),
    ifUnmodifiedSince: requestHeader(request, 'if-unmodified-since'),
  });
  const { start, end, partial, partCount } = selectBytes(context, record, options.partNumber);
  const checksumMode = requestHeader(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  // A checksum describes the whole object, so S3 sends it only with whole-object answers.
  writeObjectHeaders(response, request, record, { includeChecksum: checksumMode && start === 0 && end === record.size - 1 });
  response.statusCode = partial ? 206 : 200;
  if (partial) response.setHeader('content-range', `bytes ${start}-${end}/${record.size}`);
  if (partCount !== undefined) response.setHeader('x-amz-mp-parts-count', partCount);
  response.setHeader('content-length', end - start + 1);
  if (options.headOnly) {
    response.end();
    return;
  }
  await sendBody(bucket.read(record, start, end), end - start + 1, response);
}

function selectBytes(context: S3OperationContext, record: ObjectRecord, partNumber: number | undefined): ByteSelection {
  if (partNumber !== undefined) {
    const part = objectPart(record, partNumber);
    // An empty part (an empty object's only one) has no byte range to name: a plain 200 with no body.
    return { start: part.start, end: part.start + part.size - 1, partial: part.size > 0, ...(part.partCount !== undefined && { partCount: part.partCount }) };
  }
  const range = parseRange(requestHeader(context.request, 'range'), record.size);
  return range ? { ...range, partial: true } : { start: 0, end: record.size - 1, partial: false };
}

/**
 * The object, or for a missing key what S3 answers: NoSuchKey to callers who may list the bucket,
 * AccessDenied to the others (so a missing key cannot be told from a forbidden one).
 */
async function findReadableObject(context: S3OperationContext, key: string): Promise<ObjectRecord> {
  const record = context.bucket.get(key);
  if (record) return record;
  if (await context.isAllowed('s3:ListBucket', bucketArn(context.bucket.name))) throw new NoSuchKey(key);
  throw new AccessDenied();
}
