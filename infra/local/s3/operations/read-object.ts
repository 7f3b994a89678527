import { pipeline } from 'node:stream/promises';
import { bucketArn } from '../authorization/operation-permissions.ts';
import type { ObjectRecord } from '../model/object-record.ts';
import { NoSuchKey } from '../model/storage-errors.ts';
import { writeObjectHeaders } from '../protocol/object-headers.ts';
import { parseRange } from '../protocol/parse-range.ts';
import { checkReadConditions } from '../protocol/read-conditions.ts';
import { AccessDenied } from '../protocol/request-errors.ts';
import { requestHeader } from '../protocol/s3-request.ts';
import type { S3OperationContext } from './operation-context.ts';

/** GetObject and HeadObject (which answers the same headers without the body). */
export async function getObject(context: S3OperationContext, key: string, headOnly: boolean): Promise<void> {
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
  const range = parseRange(requestHeader(request, 'range'), record.size);
  const checksumMode = requestHeader(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  // A checksum describes the whole object, so S3 sends it only with whole-object answers.
  writeObjectHeaders(response, request, record, { includeChecksum: checksumMode && range === undefined });
  const start = range?.start ?? 0;
  const end = range?.end ?? record.size - 1;
  response.statusCode = range ? 206 : 200;
  if (range) response.setHeader('content-range', `bytes ${start}-${end}/${record.size}`);
  response.setHeader('content-length', end - start + 1);
  if (headOnly) {
    response.end();
    return;
  }
  // The client may stop reading at any time; that ends this answer, not the server.
  await pipeline(bucket.read(record, start, end), response).catch(() => response.destroy());
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
