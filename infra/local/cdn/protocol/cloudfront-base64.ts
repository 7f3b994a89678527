/**
 * CloudFront's URL-safe base64: standard base64 with `+` as `-`, `=` as `_` and `/` as `~`.
 * Decoding is strict: any other character, or a length that is not base64's, is refused
 * (Node's own decoder would skip them silently).
 */
const CLOUDFRONT_BASE64 = /^[A-Za-z0-9\-~]*_{0,2}$/;

export function decodeCloudFrontBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !CLOUDFRONT_BASE64.test(text)) return undefined;
  return Buffer.from(text.replaceAll('-', '+').replaceAll('_', '=').replaceAll('~', '/'), 'base64');
}
