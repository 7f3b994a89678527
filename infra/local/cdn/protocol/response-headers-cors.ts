import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { AccessDenied } from '../cdn-errors.ts';

/** The CORS part of a behaviour's response headers policy (`ResponseHeadersPolicyConfig.CorsConfig`). */
export interface ResponseHeadersCors {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  allowCredentials: boolean;
  maxAgeSeconds: number | undefined;
}

/** The `Access-Control-Allow-Origin` for a request's `Origin`, or undefined when the policy does not allow it. */
function allowedOrigin(cors: ResponseHeadersCors, origin: string | undefined): string | undefined {
  if (origin === undefined || origin === '') return undefined;
  if (cors.allowOrigins.includes(origin)) return origin;
  // CloudFront refuses a policy with both `*` and credentials, so `*` here never carries credentials.
  return cors.allowOrigins.includes('*') ? '*' : undefined;
}

function writeOriginHeaders(cors: ResponseHeadersCors, allowOrigin: string, response: ServerResponse): void {
  response.setHeader('access-control-allow-origin', allowOrigin);
  if (cors.allowCredentials) response.setHeader('access-control-allow-credentials', 'true');
  response.setHeader('vary', 'Origin');
}

/**
 * A GET or HEAD from an allowed origin gets the policy's CORS headers (the policy overrides the
 * origin's); from any other origin, or without a policy, none.
 */
export function applyResponseHeadersCors(cors: ResponseHeadersCors | undefined, headers: IncomingHttpHeaders, response: ServerResponse): void {
  if (cors === undefined) return;
  const allowOrigin = allowedOrigin(cors, headers.origin);
  if (allowOrigin === undefined) return;
  writeOriginHeaders(cors, allowOrigin, response);
  if (cors.exposeHeaders.length > 0) response.setHeader('access-control-expose-headers', cors.exposeHeaders.join(', '));
}

/**
 * Answers a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) from the
 * policy: 200 with the CORS headers when the origin, method and every requested header are
 * allowed. Anything else is refused with 403 and no CORS headers, so the browser blocks it.
 */
export function answerResponseHeadersPreflight(cors: ResponseHeadersCors | undefined, headers: IncomingHttpHeaders, response: ServerResponse): void {
  const method = headers['access-control-request-method'];
  if (cors === undefined || typeof method !== 'string') throw new AccessDenied();
  const allowOrigin = allowedOrigin(cors, headers.origin);
  if (allowOrigin === undefined) throw new AccessDenied();
  if (!cors.allowMethods.includes('ALL') && !cors.allowMethods.includes(method)) throw new AccessDenied();
  const requested = (headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const allowedHeaders = new Set(cors.allowHeaders.map((name) => name.toLowerCase()));
  if (!allowedHeaders.has('*') && !requested.every((name) => allowedHeaders.has(name.toLowerCase()))) throw new AccessDenied();

  response.statusCode = 200;
  writeOriginHeaders(cors, allowOrigin, response);
  response.setHeader('access-control-allow-methods', cors.allowMethods.join(', '));
  if (requested.length > 0) response.setHeader('access-control-allow-headers', requested.join(', '));
  if (cors.maxAgeSeconds !== undefined) response.setHeader('access-control-max-age', String(cors.maxAgeSeconds));
  response.setHeader('content-length', '0');
  response.end();
}
