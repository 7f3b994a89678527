import type { Readable } from 'node:stream';
import type { StorageLimits } from '../model/storage-limits.ts';
import { InvalidArgument, InvalidRequest, KeyTooLongError, MethodNotAllowed, NotImplemented } from '../s3-errors.ts';
import { requestHeader, type S3Request } from './s3-request.ts';

export interface CopySource {
  bucket: string;
  key: string;
  /** As sent, for the `s3:x-amz-copy-source` condition key. */
  header: string;
}

/** The file of a POST Object and what its policy allows, once the form is verified. */
export interface PostObjectUpload {
  file: Readable;
  /** From the policy's `content-length-range` (0 without one). */
  minBytes: number;
  /** From the policy's `content-length-range`, never above the largest single upload. */
  maxBytes: number;
  successActionStatus: 200 | 201 | 204;
  successActionRedirect?: string;
}

type BucketOperation<Name extends string, Extra = object> = { name: Name; bucket: string } & Extra;
type ObjectOperation<Name extends string, Extra = object> = { name: Name; bucket: string; key: string } & Extra;
type UploadOperation<Name extends string, Extra = object> = ObjectOperation<Name, { uploadId: string } & Extra>;

export type S3Operation =
  | BucketOperation<'ListObjects'>
  | BucketOperation<'ListObjectsV2'>
  | BucketOperation<'ListMultipartUploads'>
  | BucketOperation<'GetBucketLocation'>
  | BucketOperation<'HeadBucket'>
  | BucketOperation<'DeleteObjects'>
  | ObjectOperation<'PutObject'>
  | ObjectOperation<'PostObject', { upload: PostObjectUpload }>
  | ObjectOperation<'CopyObject', { source: CopySource }>
  | ObjectOperation<'GetObject', { partNumber?: number }>
  | ObjectOperation<'HeadObject', { partNumber?: number }>
  | ObjectOperation<'DeleteObject'>
  | ObjectOperation<'CreateMultipartUpload'>
  | UploadOperation<'UploadPart', { partNumber: number }>
  | UploadOperation<'UploadPartCopy', { partNumber: number; source: CopySource }>
  | UploadOperation<'CompleteMultipartUpload'>
  | UploadOperation<'AbortMultipartUpload'>
  | UploadOperation<'ListParts'>;

/**
 * Subresources S3 knows. Those an operation below does not handle are answered NotImplemented
 * rather than ignored, so a client never takes a plain GET/PUT answer for the feature it asked for.
 */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
  'lifecycle', 'list-type', 'location', 'logging', 'metadataConfiguration', 'metrics', 'notification', 'object-lock', 'ownershipControls',
  'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'renameObject', 'replication', 'requestPayment', 'restore', 'retention',
  'select', 'session', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
]);

/**
 * A browser-based upload (`POST /{bucket}` with a form): its key and signature are in the body,
 * so it is told apart before authentication and read by its own route.
 */
export function isPostObjectRequest(request: S3Request): boolean {
  return request.method === 'POST' && request.bucket !== '' && request.key === '' && ![...request.query.keys()].some((name) => SUBRESOURCES.has(name));
}

/** Works out which S3 operation a request is, from its method, path and subresources. */
export function parseOperation(request: S3Request, limits: StorageLimits): S3Operation {
  const { method, bucket, key, query } = request;
  if (bucket === '') throw new NotImplemented('service-level requests (ListBuckets)');
  rejectUnsupportedVersionId(request);
  const subresources = [...query.keys()].filter((name) => SUBRESOURCES.has(name) && name !== 'versionId');
  const has = (...names: string[]): boolean => subresources.length === names.length && names.every((name) => query.has(name));
  const unsupported = (): never => {
    throw new NotImplemented(`${method} ${key === '' ? 'bucket' : 'object'} ${subresources.length > 0 ? `?${subresources.join('&')}` : 'request'}`);
  };

  if (key === '') {
    if (method === 'GET' && has('list-type')) {
      if (query.get('list-type') !== '2') throw new InvalidArgument('Invalid List Type specified', 'list-type', query.get('list-type'));
      return { name: 'ListObjectsV2', bucket };
    }
    if (method === 'GET' && has()) return { name: 'ListObjects', bucket };
    if (method === 'GET' && has('uploads')) return { name: 'ListMultipartUploads', bucket };
    if (method === 'GET' && has('location')) return { name: 'GetBucketLocation', bucket };
    if (method === 'HEAD' && has()) return { name: 'HeadBucket', bucket };
    if (method === 'POST' && has('delete')) return { name: 'DeleteObjects', bucket };
    if (!['GET', 'HEAD', 'PUT', 'POST', 'DELETE'].includes(method)) throw new MethodNotAllowed(method, 'BUCKET');
    return unsupported();
  }

  if (Buffer.byteLength(key, 'utf8') > limits.maxKeyBytes) throw new KeyTooLongError(limits.maxKeyBytes);
  const uploadId = query.get('uploadId');
  switch (method) {
    case 'PUT': {
      const copySourceHeader = requestHeader(request, 'x-amz-copy-source');
      const source = copySourceHeader === undefined ? undefined : parseCopySource(copySourceHeader);
      if (has('partNumber', 'uploadId')) {
        const partNumber = parsePartNumber(query.get('partNumber'), limits);
        return source
          ? { name: 'UploadPartCopy', bucket, key, uploadId: uploadId as string, partNumber, source }
          : { name: 'UploadPart', bucket, key, uploadId: uploadId as string, partNumber };
      }
      if (has()) return source ? { name: 'CopyObject', bucket, key, source } : { name: 'PutObject', bucket, key };
      return unsupported();
    }
    case 'GET':
      if (has('uploadId')) return { name: 'ListParts', bucket, key, uploadId: uploadId as string };
      if (has()) return { name: 'GetObject', bucket, key };
      if (has('partNumber')) return { name: 'GetObject', bucket, key, partNumber: parsePartNumberRead(request, limits) };
      return unsupported();
    case 'HEAD':
      if (has()) return { name: 'HeadObject', bucket, key };
      if (has('partNumber')) return { name: 'HeadObject', bucket, key, partNumber: parsePartNumberRead(request, limits) };
      return unsupported();
    case 'DELETE':
      if (has('uploadId')) return { name: 'AbortMultipartUpload', bucket, key, uploadId: uploadId as string };
      if (has()) return { name: 'DeleteObject', bucket, key };
      return unsupported();
    case 'POST':
      if (has('uploads')) return { name: 'CreateMultipartUpload', bucket, key };
      if (has('uploadId')) return { name: 'CompleteMultipartUpload', bucket, key, uploadId: uploadId as string };
      return unsupported();
    default:
      throw new MethodNotAllowed(method, 'OBJECT');
  }
}

/** Versioning is not kept locally: only the `null` version (the current object) exists. */
function rejectUnsupportedVersionId(request: S3Request): void {
  const versionId = request.query.get('versionId');
  if (versionId !== undefined && versionId !== 'null') throw new InvalidArgument('Invalid version id specified', 'versionId', versionId);
}

function parsePartNumber(value: string | undefined, limits: StorageLimits): number {
  if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > limits.maxPartNumber) {
    throw new InvalidArgument(`Part number must be an integer between 1 and ${limits.maxPartNumber}, inclusive`, 'partNumber', value);
  }
  return Number(value);
}

/** `partNumber` on GET/HEAD selects a part's bytes, so S3 refuses it together with a Range. */
function parsePartNumberRead(request: S3Request, limits: StorageLimits): number {
  const partNumber = parsePartNumber(request.query.get('partNumber'), limits);
  if (requestHeader(request, 'range') !== undefined) throw new InvalidRequest('Cannot specify both Range header and partNumber query parameter');
  return partNumber;
}

/** `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded. */
function parseCopySource(header: string): CopySource {
  const [path = '', search] = header.split('?', 2);
  if (search !== undefined && !/^versionId=null$/.test(search)) throw new InvalidArgument('Invalid version id specified', 'x-amz-copy-source', header);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new InvalidArgument('Invalid copy source encoding', 'x-amz-copy-source', header);
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) throw new InvalidArgument('Invalid copy source object key', 'x-amz-copy-source', header);
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1), header };
}
