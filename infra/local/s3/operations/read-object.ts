import { bucketArn } from '../request-permissions/operation-permissions.ts';
import { objectPart } from '../model/object-parts.ts';
import type { ObjectBytes } from '../model/blob-directory.ts';
import type { ObjectRecord } from '../model/object-record.ts';
import { AccessDenied, NoSuchKey, ObjectBytesMissing } from '../s3-errors.ts';
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
  const { request, response } = context;
  const { record, selection, body } = await openObject(context, key, options, true);
  const { start, end, partial, partCount } = selection;
  const checksumMode = requestHeader(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  // A checksum describes the whole object, so S3 sends it only with whole-object answers.
  writeObjectHeaders(response, request, record, { includeChecksum: checksumMode && start === 0 && end === record.size - 1 });
  response.statusCode = partial ? 206 : 200;
  if (partial) response.setHeader('content-range', `bytes ${start}-${end}/${record.size}`);
  if (partCount !== undefined) response.setHeader('x-amz-mp-parts-count', partCount);
  response.setHeader('content-length', end - start + 1);
  if (body === undefined) {
    response.end();
    return;
  }
  await sendBody(body, response);
}

/**
 * The record, the bytes asked for, and (for a GET) those bytes opened, before any header is sent:
 * a missing blob file becomes a 500 answer, not a cut-off one. A blob file gone because the key
 * was overwritten or deleted meanwhile is not a loss: the read starts over once, on what is there now.
 */
async function openObject(
  context: S3OperationContext,
  key: string,
  options: { headOnly: boolean; partNumber: number | undefined },
  mayRetry: boolean,
): Promise<{ record: ObjectRecord; selection: ByteSelection; body: ObjectBytes | undefined }> {
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
  const selection = selectBytes(context, record, options.partNumber);
  if (options.headOnly) return { record, selection, body: undefined };
  try {
    return { record, selection, body: await bucket.read(record, selection.start, selection.end) };
  } catch (error) {
    if (mayRetry && error instanceof ObjectBytesMissing && !isStillStored(record, bucket.get(key))) return openObject(context, key, options, false);
    throw error;
  }
}

/** Whether the object now stored at the key still has the record's bytes. */
function isStillStored(record: ObjectRecord, current: ObjectRecord | undefined): boolean {
  return current !== undefined && current.segments.length === record.segments.length && current.segments.every((segment, index) => segment.blobId === record.segments[index]?.blobId);
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
