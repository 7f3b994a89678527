import { HttpMethods, type CorsRule } from 'aws-cdk-lib/aws-s3';

/**
 * Request headers the browser client really sends to S3: the SigV4 headers, the SDK's own
 * headers, checksums (flexible checksums are the SDK default), conditional writes, ranges,
 * server-side encryption and user metadata; and what an upload link makes its uploader send
 * (`if-none-match`, `x-amz-server-side-encryption`, `content-type`). Listed one by one rather
 * than `*` so a browser cannot smuggle arbitrary headers through a preflight.
 */
export const BROWSER_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'content-md5',
  'content-disposition',
  'cache-control',
  'range',
  'if-match',
  'if-none-match',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-user-agent',
  'x-amz-checksum-*',
  'x-amz-sdk-checksum-algorithm',
  'x-amz-trailer',
  'x-amz-decoded-content-length',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-meta-*',
  // What the library's copy and move send (server-side-copy.ts): the page's Publish moves a file.
  'x-amz-copy-source',
  'x-amz-copy-source-if-match',
  'x-amz-copy-source-range',
  'x-amz-metadata-directive',
];

/**
 * Response headers the browser may read. `ETag` above all: without it a browser cannot
 * complete a multipart upload (a known failure of hand-written CORS rules).
 */
export const BROWSER_EXPOSED_HEADERS = [
  'ETag',
  'Content-Length',
  'Content-Range',
  'Content-Type',
  'Last-Modified',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-amz-version-id',
  'x-amz-server-side-encryption',
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
];

/** `POST` is for the browser-based POST Object forms of upload links. */
export function browserCorsRules(allowedOrigins: readonly string[], maxAgeSeconds: number): CorsRule[] {
  return [
    {
      allowedOrigins: [...allowedOrigins],
      allowedMethods: [HttpMethods.GET, HttpMethods.HEAD, HttpMethods.PUT, HttpMethods.POST, HttpMethods.DELETE],
      allowedHeaders: BROWSER_REQUEST_HEADERS,
      exposedHeaders: BROWSER_EXPOSED_HEADERS,
      maxAge: maxAgeSeconds,
    },
  ];
}
