import { PutObjectCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { UploadEncryptionSetting } from './encryption-header.ts';
import { StorageError } from './storage-errors.ts';

export interface UploadLinkOptions {
  /** Largest file the link takes, in bytes (S3 enforces it on POST links; see {@link UploadLink}). */
  maxBytes: number;
  /** The file's type; the uploader must send exactly this. @default any type */
  contentType?: string;
  /** @default 900, never beyond the expiry of the credentials that sign the link */
  expiresInSeconds?: number;
  /**
   * `PUT` (default): single use, the first upload wins and a second gets 412. `POST`: a form
   * (`fields`) with the size enforced by S3, single key rather than single use: a second POST
   * before expiry replaces the first upload (S3's POST takes no conditional headers).
   */
  method?: 'PUT' | 'POST';
}

export interface UploadLink {
  url: string;
  method: 'PUT' | 'POST';
  /** POST: the form fields to send, in this order, before the file (the last field, named `file`). */
  fields?: Record<string, string>;
  /** PUT: the headers the upload must send, exactly (they are signed into the link). */
  headers?: Record<string, string>;
  /** The fresh key the file will have, relative to the location. */
  key: string;
  /** When the link stops working: the requested lifetime or the signing credentials' expiry, whichever is first. */
  expiresAt: Date;
}

/** The upload link's settings once checked. */
export interface CheckedUploadLinkOptions {
  maxBytes: number;
  contentType?: string;
  expiresInSeconds: number;
  method: 'PUT' | 'POST';
}

const DEFAULT_LIFETIME_SECONDS = 900;
/** SigV4 links live at most 7 days. */
const MAX_LIFETIME_SECONDS = 7 * 24 * 3600;
/** The largest object one PUT or POST may carry. */
const MAX_SINGLE_UPLOAD_BYTES = 5 * 1024 ** 3;
/** A link is signed only if the credentials still live this long: a link dead on arrival helps nobody. */
const CREDENTIALS_MARGIN_SECONDS = 5;
/**
 * The setting of the S3 client that signs upload links. By default the SDK computes a checksum of
 * the request body when it signs a PutObject; a pre-signed PUT has no body yet, so the link would
 * carry the CRC32 of an empty body (`x-amz-checksum-crc32=AAAAAA==`), and S3-compatible stores
 * that check it (R2, MinIO) refuse every real upload through it. The uploader's body is unknown at
 * signing time, so the link names no checksum at all; normal uploads keep their checksums.
 */
export const UPLOAD_LINK_SIGNING_CONFIG = { requestChecksumCalculation: 'WHEN_REQUIRED' } as const satisfies Partial<S3ClientConfig>;
/** Query parameters a link must not carry: a checksum fixed before the uploader chose the file. */
const CHECKSUM_QUERY_PARAMETER = /^x-amz-(checksum-|sdk-checksum-algorithm$)/i;
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/heic': '.heic',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'application/json': '.json',
  'text/plain': '.txt',
  'text/csv': '.csv',
  'video/mp4': '.mp4',
  'audio/mpeg': '.mp3',
};

/** Checks the options before anything is signed (each failure an `InvalidArgument`). */
export function checkUploadLinkOptions(options: UploadLinkOptions | undefined): CheckedUploadLinkOptions {
  if (typeof options !== 'object' || options === null) throw new StorageError('InvalidArgument', 'createUploadLink needs options with maxBytes.');
  const { maxBytes, contentType, expiresInSeconds = DEFAULT_LIFETIME_SECONDS, method = 'PUT' } = options;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_SINGLE_UPLOAD_BYTES) {
    throw new StorageError('InvalidArgument', `maxBytes must be a whole number of bytes from 1 to ${MAX_SINGLE_UPLOAD_BYTES} (5 GiB), got ${String(maxBytes)}.`);
  }
  if (contentType !== undefined && (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType))) {
    throw new StorageError('InvalidArgument', `contentType must be a media type such as "image/jpeg", got ${JSON.stringify(contentType)}.`);
  }
  if (typeof expiresInSeconds !== 'number' || !Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_LIFETIME_SECONDS) {
    throw new StorageError('InvalidArgument', `expiresInSeconds must be a whole number from 1 to ${MAX_LIFETIME_SECONDS} (7 days), got ${String(expiresInSeconds)}.`);
  }
  if (method !== 'PUT' && method !== 'POST') throw new StorageError('InvalidArgument', `method must be "PUT" or "POST", got ${JSON.stringify(method)}.`);
  return { maxBytes, expiresInSeconds, method, ...(contentType !== undefined && { contentType }) };
}

/** A fresh key in `folder` (relative, `''` for the location's top): `<folder>/<16 random hex>-upload[.ext]`. */
export function freshUploadKey(folder: string, contentType: string | undefined): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  const random = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  const folderPath = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
  return `${folderPath}${random}-upload${(contentType && EXTENSIONS[contentType.toLowerCase()]) ?? ''}`;
}

interface SignUploadLinkInput {
  /** Signs with the caller's credentials; made with {@link UPLOAD_LINK_SIGNING_CONFIG}. */
  s3: S3Client;
  bucket: string;
  fullKey: string;
  /** The key as the caller sees it (relative to the location). */
  key: string;
  options: CheckedUploadLinkOptions;
  /** When the credentials that sign the link expire: the link cannot outlive them. */
  credentialsExpireAt: Date;
  /** What the link names as `x-amz-server-side-encryption` (and the KMS key), so a bucket policy that requires or pins them admits it. */
  encryption: UploadEncryptionSetting;
}

/** Signs a PUT or POST upload link with the caller's own credentials (the S3 client's). */
export async function signUploadLink(input: SignUploadLinkInput): Promise<UploadLink> {
  const { s3, bucket, fullKey, key, options, encryption } = input;
  const remaining = Math.floor((input.credentialsExpireAt.getTime() - Date.now()) / 1000) - CREDENTIALS_MARGIN_SECONDS;
  if (remaining <= 0) throw new StorageError('Expired', 'The credentials expire too soon to sign an upload link; try again.');
  const expiresIn = Math.min(options.expiresInSeconds, remaining);
  const expiresAt = new Date(Date.now() + expiresIn * 1000);
  const encryptionHeaders: Record<string, string> = {
    'x-amz-server-side-encryption': encryption.algorithm,
    ...(encryption.kmsKeyArn !== undefined && { 'x-amz-server-side-encryption-aws-kms-key-id': encryption.kmsKeyArn }),
  };
  if (options.method === 'POST') {
    const signed = await createPresignedPost(s3, {
      Bucket: bucket,
      Key: fullKey,
      Conditions: [['content-length-range', 1, options.maxBytes], ...(options.contentType === undefined ? [['starts-with', '$Content-Type', ''] as ['starts-with', string, string]] : [])],
      Fields: { ...encryptionHeaders, success_action_status: '201', ...(options.contentType !== undefined && { 'Content-Type': options.contentType }) },
      Expires: expiresIn,
    });
    // Without a type in the policy the form may send any; this default keeps a plain form working.
    const fields = options.contentType === undefined ? { ...signed.fields, 'Content-Type': 'application/octet-stream' } : signed.fields;
    return { url: signed.url, method: 'POST', fields, key, expiresAt };
  }
  const headers: Record<string, string> = {
    'If-None-Match': '*',
    ...encryptionHeaders,
    ...(options.contentType !== undefined && { 'Content-Type': options.contentType }),
  };
  const command = new PutObjectCommand({ Bucket: bucket, Key: fullKey, IfNoneMatch: '*', ServerSideEncryption: encryption.algorithm, SSEKMSKeyId: encryption.kmsKeyArn, ContentType: options.contentType });
  const url = await getSignedUrl(s3, command, {
    expiresIn,
    signableHeaders: new Set(['if-none-match', ...Object.keys(encryptionHeaders), ...(options.contentType === undefined ? [] : ['content-type'])]),
    // Kept as headers the uploader must send, not query parameters anyone could drop.
    unhoistableHeaders: new Set(Object.keys(encryptionHeaders)),
  });
  if ([...new URL(url).searchParams.keys()].some((name) => CHECKSUM_QUERY_PARAMETER.test(name))) {
    // A checksum signed now describes an empty body: every real upload through the link would fail.
    throw new StorageError('InvalidConfiguration', 'The upload link would carry a checksum of an empty body; sign links with a client made with UPLOAD_LINK_SIGNING_CONFIG.');
  }
  return { url, method: 'PUT', headers, key, expiresAt };
}
