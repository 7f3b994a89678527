import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { CorsForbidden, CorsPreflightIncomplete } from '../s3-errors.ts';
import { headerValue } from '../../sigv4/signed-request.ts';

/** A CORS rule as in CloudFormation's `AWS::S3::Bucket.CorsConfiguration.CorsRules` (`MaxAgeSeconds` is the S3 API's name for `MaxAge`). */
export interface CorsRule {
  Id?: string;
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders?: string[];
  ExposedHeaders?: string[];
  MaxAge?: number;
  MaxAgeSeconds?: number;
}

const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

/** Answers an `OPTIONS` preflight from the bucket's CORS rules, as S3 does. */
export function answerPreflight(rules: readonly CorsRule[], headers: IncomingHttpHeaders, response: ServerResponse, resourceType: 'BUCKET' | 'OBJECT'): void {
  const origin = headerValue(headers, 'origin');
  const method = headerValue(headers, 'access-control-request-method');
  if (origin === undefined) throw new CorsPreflightIncomplete('Insufficient information. Origin request header needed.');
  if (method === undefined) throw new CorsPreflightIncomplete('Invalid Access-Control-Request-Method: null');
  if (rules.length === 0) throw new CorsForbidden('CORSResponse: CORS is not enabled for this bucket.', method, resourceType);
  const requestedHeaders = (headerValue(headers, 'access-control-request-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const rule = rules.find(
    (candidate) =>
      matchesRule(candidate, origin, method) &&
      requestedHeaders.every((name) => (candidate.AllowedHeaders ?? []).some((pattern) => wildcardMatch(pattern.toLowerCase(), name))),
  );
  if (!rule) {
    throw new CorsForbidden(
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      method,
      resourceType,
    );
  }
  writeAllowHeaders(response, rule, origin);
  if (requestedHeaders.length > 0) response.setHeader('access-control-allow-headers', requestedHeaders.join(', '));
  const maxAge = rule.MaxAgeSeconds ?? rule.MaxAge;
  if (maxAge !== undefined) response.setHeader('access-control-max-age', String(maxAge));
  response.setHeader('content-length', 0);
  response.statusCode = 200;
  response.end();
}

/** Adds the CORS headers of the first rule allowing this origin and method to an actual (non-preflight) response. */
export function applyCorsHeaders(rules: readonly CorsRule[], headers: IncomingHttpHeaders, method: string, response: ServerResponse): void {
  const origin = headerValue(headers, 'origin');
  if (origin === undefined || rules.length === 0) return;
  response.setHeader('vary', VARY);
  const rule = rules.find((candidate) => matchesRule(candidate, origin, method));
  if (rule) writeAllowHeaders(response, rule, origin);
}

function writeAllowHeaders(response: ServerResponse, rule: CorsRule, origin: string): void {
  const anyOrigin = rule.AllowedOrigins.includes('*');
  response.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
  if (!anyOrigin) response.setHeader('access-control-allow-credentials', 'true');
  response.setHeader('access-control-allow-methods', rule.AllowedMethods.join(', '));
  if (rule.ExposedHeaders && rule.ExposedHeaders.length > 0) response.setHeader('access-control-expose-headers', rule.ExposedHeaders.join(', '));
  response.setHeader('vary', VARY);
}

function matchesRule(rule: CorsRule, origin: string, method: string): boolean {
  return rule.AllowedMethods.includes(method) && rule.AllowedOrigins.some((pattern) => wildcardMatch(pattern, origin));
}

/** S3 CORS patterns allow one `*`, matching any run of characters. */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}
