import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** What CloudFront adds to every answer (the response headers policy's headers are the behaviour's: `writePolicyHeaders`). */
export function writeEdgeHeaders(response: ServerResponse, cacheResult: 'Hit' | 'Miss' | 'Error' | 'RefreshHit'): void {
  response.setHeader('x-cache', `${cacheResult} from cloudfront`);
  response.setHeader('via', '1.1 local.cloudfront.net (CloudFront)');
  response.setHeader('x-amz-cf-pop', 'LOCAL1-C1');
  response.setHeader('x-amz-cf-id', randomBytes(42).toString('base64url').slice(0, 56));
}
