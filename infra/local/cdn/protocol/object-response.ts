import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OriginObject } from '../model/origin-objects.ts';
import { InvalidRange } from '../cdn-errors.ts';
import { parseRange, type ByteRange } from '../../s3/protocol/parse-range.ts';
import { InvalidRange as S3InvalidRange } from '../../s3/s3-errors.ts';

/**
 * Whether the viewer's copy is current (`If-None-Match`, else `If-Modified-Since`), so the
 * answer is 304, as CloudFront answers conditional GET and HEAD from its cache.
 */
export function isNotModified(request: IncomingMessage, object: OriginObject): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(object.etag);
  }
  const ifModifiedSince = Date.parse(request.headers['if-modified-since'] ?? '');
  if (Number.isNaN(ifModifiedSince)) return false;
  return Math.floor(Date.parse(object.lastModified) / 1000) <= Math.floor(ifModifiedSince / 1000);
}

/**
 * Whether `If-Range` lets the `Range` apply (RFC 9110 13.1.5): absent, or naming the object's
 * current entity tag (strong comparison: a weak tag never matches) or exactly its Last-Modified.
 * Otherwise the viewer's partial copy is stale, and it gets the whole object.
 */
function rangeStillApplies(ifRange: string | undefined, object: OriginObject): boolean {
  if (ifRange === undefined) return true;
  const condition = ifRange.trim();
  if (condition.startsWith('W/')) return false;
  if (condition.startsWith('"')) return condition === object.etag;
  const date = Date.parse(condition);
  return !Number.isNaN(date) && date === Math.floor(Date.parse(object.lastModified) / 1000) * 1000;
}

/**
 * The byte range asked for, as S3 reads `Range` (one range; others ignored); outside the object:
 * 416. A `Range` whose `If-Range` no longer holds is ignored (the whole object, 200).
 */
export function requestedRange(request: IncomingMessage, object: OriginObject): ByteRange | undefined {
  const ifRange = request.headers['if-range'];
  if (!rangeStillApplies(Array.isArray(ifRange) ? ifRange.join(', ') : ifRange, object)) return undefined;
  try {
    return parseRange(request.headers.range, object.size);
  } catch (error) {
    if (error instanceof S3InvalidRange) throw new InvalidRange(object.size);
    throw error;
  }
}

/**
 * The object's headers as S3 sends them and CloudFront passes them on; a forwarded
 * `response-content-disposition` query parameter (a signed link's) overrides the stored disposition.
 */
export function writeObjectHeaders(response: ServerResponse, object: OriginObject, contentDispositionOverride: string | undefined): void {
  const { headers } = object;
  response.setHeader('content-type', headers.contentType);
  response.setHeader('etag', object.etag);
  response.setHeader('last-modified', new Date(object.lastModified).toUTCString());
  response.setHeader('accept-ranges', 'bytes');
  const disposition = contentDispositionOverride ?? headers.contentDisposition;
  if (disposition !== undefined) response.setHeader('content-disposition', disposition);
  if (headers.cacheControl !== undefined) response.setHeader('cache-control', headers.cacheControl);
  if (headers.contentEncoding !== undefined) response.setHeader('content-encoding', headers.contentEncoding);
  if (headers.contentLanguage !== undefined) response.setHeader('content-language', headers.contentLanguage);
  if (headers.expires !== undefined) response.setHeader('expires', headers.expires);
  for (const [name, value] of Object.entries(object.userMetadata)) response.setHeader(`x-amz-meta-${name}`, value);
}
