import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** What CloudFront adds to every answer, and the headers of the `SECURITY_HEADERS` response headers policy. */
export function writeEdgeHeaders(response: ServerResponse, cacheResult: 'Hit' | 'Miss' | 'Error' | 'RefreshHit'): void {
  response.setHeader('x-cache', `${cacheResult} from cloudfront`);
  response.setHeader('via', '1.1 local.cloudfront.net (CloudFront)');
  response.setHeader('x-amz-cf-pop', 'LOCAL1-C1');
  response.setHeader('x-amz-cf-id', randomBytes(42).toString('base64url').slice(0, 56));
  response.setHeader('strict-transport-security', 'max-age=31536000');
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('x-frame-options', 'SAMEORIGIN');
  response.setHeader('x-xss-protection', '1; mode=block');
  response.setHeader('referrer-policy', 'strict-origin-when-cross-origin');
}
