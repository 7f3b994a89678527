import { compareKeys } from '../model/key-order.ts';
import { positionAfterMarker } from '../model/list-objects.ts';
import { InvalidArgument } from '../s3-errors.ts';
import type { UploadRecord } from '../model/object-record.ts';
import { renderListMultipartUploadsResult, renderListObjectsResult, renderListObjectsV2Result } from '../protocol/render-list-results.ts';
import { parseBoundedInteger } from '../protocol/query-parameters.ts';
import { renderLocationConstraint } from '../protocol/render-write-results.ts';
import type { S3Request } from '../protocol/s3-request.ts';
import type { S3OperationContext } from './operation-context.ts';
import { sendEmpty, sendXml } from './send-response.ts';

interface ContinuationPosition {
  after: string;
  afterIsCommonPrefix: boolean;
}

/** What both versions of ListObjects take alike. */
interface ListingParameters {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  urlEncoding: boolean;
}

/** ListObjects (v1): pages by `marker`; NextMarker only with a delimiter, as S3 (otherwise the last key is the next marker). */
export function listObjects(context: S3OperationContext): void {
  const { request, bucket } = context;
  const { prefix, delimiter, maxKeys, urlEncoding } = parseListingParameters(request);
  const marker = nonEmpty(request.query.get('marker'));
  const page = bucket.list({ prefix, maxKeys, ...(delimiter !== undefined && { delimiter }), ...(marker !== undefined && positionAfterMarker(marker, prefix, delimiter)) });
  const nextMarker = delimiter !== undefined && page.isTruncated ? page.last?.value : undefined;
  sendXml(
    context.response,
    renderListObjectsResult({
      bucket: bucket.name,
      prefix,
      marker: marker ?? '',
      maxKeys,
      urlEncoding,
      page,
      owner: context.owner,
      ...(delimiter !== undefined && { delimiter }),
      ...(nextMarker !== undefined && { nextMarker }),
    }),
  );
}

export function listObjectsV2(context: S3OperationContext): void {
  const { request, bucket } = context;
  const { prefix, delimiter, maxKeys, urlEncoding } = parseListingParameters(request);
  const continuationToken = request.query.get('continuation-token');
  const startAfter = nonEmpty(request.query.get('start-after'));
  const position = continuationToken !== undefined ? decodeContinuationToken(continuationToken) : startAfter !== undefined ? { after: startAfter, afterIsCommonPrefix: false } : undefined;
  const page = bucket.list({ prefix, maxKeys, ...(delimiter !== undefined && { delimiter }), ...position });
  const nextContinuationToken = page.isTruncated && page.last ? encodeContinuationToken({ after: page.last.value, afterIsCommonPrefix: page.last.isCommonPrefix }) : undefined;
  sendXml(
    context.response,
    renderListObjectsV2Result({
      bucket: bucket.name,
      prefix,
      maxKeys,
      urlEncoding,
      page,
      ...(delimiter !== undefined && { delimiter }),
      ...(continuationToken !== undefined && { continuationToken }),
      ...(nextContinuationToken !== undefined && { nextContinuationToken }),
      ...(startAfter !== undefined && { startAfter }),
      ...(request.query.get('fetch-owner') === 'true' && { owner: context.owner }),
    }),
  );
}

export function listMultipartUploads(context: S3OperationContext): void {
  const { request, bucket } = context;
  const prefix = request.query.get('prefix') ?? '';
  const delimiter = nonEmpty(request.query.get('delimiter'));
  const maxUploads = parseBoundedInteger(request.query.get('max-uploads'), 'max-uploads', 1000);
  const keyMarker = nonEmpty(request.query.get('key-marker'));
  const uploadIdMarker = keyMarker === undefined ? undefined : nonEmpty(request.query.get('upload-id-marker'));
  const all = bucket.uploadsInOrder().map((stored) => stored.upload);
  const uploads: UploadRecord[] = [];
  const commonPrefixes: string[] = [];
  let isTruncated = false;
  let passedMarker = keyMarker === undefined;
  for (const upload of all) {
    if (!passedMarker) {
      const order = compareKeys(upload.key, keyMarker as string);
      if (order < 0 || (order === 0 && uploadIdMarker === undefined)) continue;
      if (order === 0 && upload.uploadId !== uploadIdMarker) continue;
      passedMarker = true;
      if (order === 0) continue;
    }
    if (!upload.key.startsWith(prefix)) continue;
    const position = delimiter === undefined ? -1 : upload.key.indexOf(delimiter, prefix.length);
    const commonPrefix = position < 0 ? undefined : upload.key.slice(0, position + (delimiter as string).length);
    if (commonPrefix !== undefined && commonPrefixes.at(-1) === commonPrefix) continue;
    if (uploads.length + commonPrefixes.length === maxUploads) {
      isTruncated = true;
      break;
    }
    if (commonPrefix !== undefined) commonPrefixes.push(commonPrefix);
    else uploads.push(upload);
  }
  sendXml(
    context.response,
    renderListMultipartUploadsResult({
      bucket: bucket.name,
      prefix,
      maxUploads,
      urlEncoding: parseEncodingType(request),
      uploads,
      commonPrefixes,
      isTruncated,
      owner: context.owner,
      ...(delimiter !== undefined && { delimiter }),
      ...(keyMarker !== undefined && { keyMarker }),
      ...(uploadIdMarker !== undefined && { uploadIdMarker }),
    }),
  );
}

export function headBucket(context: S3OperationContext): void {
  context.response.setHeader('x-amz-bucket-region', context.region);
  sendEmpty(context.response, 200);
}

export function getBucketLocation(context: S3OperationContext): void {
  sendXml(context.response, renderLocationConstraint(context.region));
}

function parseListingParameters(request: S3Request): ListingParameters {
  const delimiter = nonEmpty(request.query.get('delimiter'));
  return {
    prefix: request.query.get('prefix') ?? '',
    ...(delimiter !== undefined && { delimiter }),
    maxKeys: parseBoundedInteger(request.query.get('max-keys'), 'max-keys', 1000),
    urlEncoding: parseEncodingType(request),
  };
}

function parseEncodingType(request: S3Request): boolean {
  const encodingType = request.query.get('encoding-type');
  if (encodingType === undefined) return false;
  if (encodingType !== 'url') throw new InvalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  return true;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** Continuation tokens are opaque to clients; here they carry where the previous page stopped. */
function encodeContinuationToken(position: ContinuationPosition): string {
  return Buffer.from(JSON.stringify([position.after, position.afterIsCommonPrefix]), 'utf8').toString('base64url');
}

function decodeContinuationToken(token: string): ContinuationPosition {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && typeof decoded[0] === 'string' && typeof decoded[1] === 'boolean') return { after: decoded[0], afterIsCommonPrefix: decoded[1] };
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
}
