/**
 * The CDN address of an object: `<cdnUrl>/<key>` with each key segment percent-encoded by
 * `encodeURIComponent`, the form `@aws-sdk/cloudfront-signer` puts every signed URL's path in. The
 * token service's cookie resources and the library's public addresses spell a key the same way, so
 * a URL built here matches what was signed (CloudFront matches a policy's `Resource` against the
 * URL as requested).
 */
export function cdnObjectUrl(cdnUrl: string, key: string): string {
  return `${cdnUrl.replace(/\/+$/, '')}/${cdnObjectPath(key)}`;
}

/** The key as a URL path, without the leading `/`. */
export function cdnObjectPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
