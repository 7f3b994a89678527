import type { IncomingHttpHeaders } from 'node:http';
import { InvalidURI } from '../s3-errors.ts';
import { headerValue } from '../../sigv4/signed-request.ts';

/** A path-style S3 request: `/{bucket}` or `/{bucket}/{key}`. */
export interface S3Request {
  method: string;
  /** Empty for the service root (`/`). */
  bucket: string;
  /** Empty for bucket requests. Any string is a valid key; it is never used as a file path. */
  key: string;
  /** First value of each query parameter, decoded. */
  query: ReadonlyMap<string, string>;
  headers: IncomingHttpHeaders;
}

export function parseS3Request(method: string, rawPath: string, queryPairs: Array<[string, string]>, headers: IncomingHttpHeaders): S3Request {
  const withoutSlash = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const slash = withoutSlash.indexOf('/');
  const bucket = decodePathPart(slash < 0 ? withoutSlash : withoutSlash.slice(0, slash));
  const key = slash < 0 ? '' : decodePathPart(withoutSlash.slice(slash + 1));
  const query = new Map<string, string>();
  for (const [name, value] of queryPairs) if (!query.has(name)) query.set(name, value);
  return { method, bucket, key, query, headers };
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidURI();
  }
}

export function requestHeader(request: S3Request, name: string): string | undefined {
  return headerValue(request.headers, name);
}
