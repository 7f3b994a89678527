import { validateHeaderValue, type ServerResponse } from 'node:http';
import { checksumHeaderName } from '../model/checksum-algorithms.ts';
import type { EncryptionAlgorithm, ObjectAttributes, ObjectRecord, ServerSideEncryption, StoredHeaders } from '../model/object-record.ts';
import { AccessControlListNotSupported, InvalidArgument, MetadataTooLarge, NotImplemented } from '../s3-errors.ts';
import { requestHeader, type S3Request } from './s3-request.ts';

const ENCRYPTION_ALGORITHMS: readonly EncryptionAlgorithm[] = ['AES256', 'aws:kms', 'aws:kms:dsse'];
const STORAGE_CLASSES = new Set(['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR']);
const UNSUPPORTED_HEADERS = ['x-amz-tagging', 'x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date', 'x-amz-object-lock-legal-hold', 'x-amz-website-redirect-location', 'x-amz-server-side-encryption-customer-algorithm'];
const USER_METADATA_PREFIX = 'x-amz-meta-';

interface EncryptionDefaults {
  region: string;
  accountId: string;
}

/** The attributes a write request sets: stored headers, user metadata, encryption, storage class. */
export function parseObjectAttributes(request: S3Request, maxUserMetadataBytes: number, defaults: EncryptionDefaults): ObjectAttributes {
  rejectAclsAndUnsupportedHeaders(request);
  const storageClass = requestHeader(request, 'x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(storageClass)) throw new InvalidArgument('The storage class you specified is not valid', 'x-amz-storage-class', storageClass);
  return {
    headers: parseStoredHeaders(request),
    userMetadata: parseUserMetadata(request, maxUserMetadataBytes),
    encryption: parseEncryption(request, defaults),
    storageClass,
  };
}

/** With bucket-owner-enforced object ownership (the stack's setting) S3 refuses every ACL but the owner's full control. */
function rejectAclsAndUnsupportedHeaders(request: S3Request): void {
  const acl = requestHeader(request, 'x-amz-acl');
  if (acl !== undefined && acl !== 'bucket-owner-full-control') throw new AccessControlListNotSupported();
  if (Object.keys(request.headers).some((name) => name.startsWith('x-amz-grant-'))) throw new AccessControlListNotSupported();
  const unsupported = UNSUPPORTED_HEADERS.find((name) => request.headers[name] !== undefined);
  if (unsupported) throw new NotImplemented(`header ${unsupported}`);
}

function parseStoredHeaders(request: S3Request): StoredHeaders {
  const optional = (name: string): string | undefined => requestHeader(request, name);
  // aws-chunked describes how this request's body travels, not the object.
  const contentEncoding = optional('content-encoding')
    ?.split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '' && token.toLowerCase() !== 'aws-chunked')
    .join(', ');
  const headers: StoredHeaders = { contentType: optional('content-type') ?? 'binary/octet-stream' };
  const contentDisposition = optional('content-disposition');
  const contentLanguage = optional('content-language');
  const cacheControl = optional('cache-control');
  const expires = optional('expires');
  if (contentDisposition !== undefined) headers.contentDisposition = contentDisposition;
  if (contentEncoding) headers.contentEncoding = contentEncoding;
  if (contentLanguage !== undefined) headers.contentLanguage = contentLanguage;
  if (cacheControl !== undefined) headers.cacheControl = cacheControl;
  if (expires !== undefined) headers.expires = expires;
  return headers;
}

function parseUserMetadata(request: S3Request, maxBytes: number): Record<string, string> {
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const name of Object.keys(request.headers)) {
    if (!name.startsWith(USER_METADATA_PREFIX)) continue;
    const metadataName = name.slice(USER_METADATA_PREFIX.length);
    const value = requestHeader(request, name) ?? '';
    metadata[metadataName] = value;
    bytes += Buffer.byteLength(metadataName, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes > maxBytes) throw new MetadataTooLarge(maxBytes);
  return metadata;
}

function parseEncryption(request: S3Request, defaults: EncryptionDefaults): ServerSideEncryption {
  const requested = requestHeader(request, 'x-amz-server-side-encryption');
  const kmsKeyId = requestHeader(request, 'x-amz-server-side-encryption-aws-kms-key-id');
  const bucketKey = requestHeader(request, 'x-amz-server-side-encryption-bucket-key-enabled');
  const algorithm = ENCRYPTION_ALGORITHMS.find((candidate) => candidate === (requested ?? 'AES256'));
  if (algorithm === undefined) throw new InvalidArgument('The encryption method specified is not supported', 'x-amz-server-side-encryption', requested);
  if (algorithm === 'AES256') {
    if (kmsKeyId !== undefined) {
      throw new InvalidArgument('Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id', kmsKeyId);
    }
    return { algorithm };
  }
  return {
    algorithm,
    kmsKeyId: kmsKeyId ?? `arn:aws:kms:${defaults.region}:${defaults.accountId}:alias/aws/s3`,
    ...(bucketKey?.toLowerCase() === 'true' && { bucketKeyEnabled: true }),
  };
}

export function writeEncryptionHeaders(response: ServerResponse, encryption: ServerSideEncryption): void {
  response.setHeader('x-amz-server-side-encryption', encryption.algorithm);
  if (encryption.kmsKeyId !== undefined) response.setHeader('x-amz-server-side-encryption-aws-kms-key-id', encryption.kmsKeyId);
  if (encryption.bucketKeyEnabled) response.setHeader('x-amz-server-side-encryption-bucket-key-enabled', 'true');
}

const RESPONSE_OVERRIDES: Array<[parameter: string, header: string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** The headers GET and HEAD return for an object (not its length, which depends on the range). */
export function writeObjectHeaders(response: ServerResponse, request: S3Request, record: ObjectRecord, options: { includeChecksum: boolean }): void {
  const overrides = responseHeaderOverrides(request);
  const { headers } = record;
  response.setHeader('content-type', headers.contentType);
  response.setHeader('etag', record.etag);
  response.setHeader('last-modified', new Date(record.lastModified).toUTCString());
  response.setHeader('accept-ranges', 'bytes');
  if (headers.contentDisposition !== undefined) response.setHeader('content-disposition', headers.contentDisposition);
  if (headers.contentEncoding !== undefined) response.setHeader('content-encoding', headers.contentEncoding);
  if (headers.contentLanguage !== undefined) response.setHeader('content-language', headers.contentLanguage);
  if (headers.cacheControl !== undefined) response.setHeader('cache-control', headers.cacheControl);
  if (headers.expires !== undefined) response.setHeader('expires', headers.expires);
  for (const [name, value] of Object.entries(record.userMetadata)) response.setHeader(`x-amz-meta-${name}`, value);
  writeEncryptionHeaders(response, record.encryption);
  if (record.storageClass !== 'STANDARD') response.setHeader('x-amz-storage-class', record.storageClass);
  if (options.includeChecksum && record.checksum) {
    response.setHeader(checksumHeaderName(record.checksum.algorithm), record.checksum.value);
    response.setHeader('x-amz-checksum-type', record.checksum.type);
  }
  for (const [header, value] of overrides) response.setHeader(header, value);
}

/** The `response-*` query overrides, checked before any header is written: a value no header may carry is the caller's error. */
function responseHeaderOverrides(request: S3Request): Array<[header: string, value: string]> {
  const overrides: Array<[string, string]> = [];
  for (const [parameter, header] of RESPONSE_OVERRIDES) {
    const value = request.query.get(parameter);
    if (value === undefined) continue;
    try {
      validateHeaderValue(header, value);
    } catch {
      throw new InvalidArgument(`${parameter} holds characters a response header cannot carry (control characters or non-Latin-1 text).`, parameter);
    }
    overrides.push([header, value]);
  }
  return overrides;
}
