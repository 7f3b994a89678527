import type { IncomingHttpHeaders } from 'node:http';

/** The parts of an HTTP request that SigV4 covers, as they arrived on the wire. */
export interface SignedRequestParts {
  method: string;
  /** The path exactly as sent (still percent-encoded), without the query. */
  rawPath: string;
  /** Query parameters in arrival order, percent-decoded. */
  query: Array<[name: string, value: string]>;
  headers: IncomingHttpHeaders;
}

/** Splits a request target (`/path?query`) into its raw path and decoded query parameters. */
export function splitRequestTarget(target: string): { rawPath: string; query: Array<[string, string]> } {
  const questionMark = target.indexOf('?');
  const rawPath = questionMark < 0 ? target : target.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? '' : target.slice(questionMark + 1);
  const query: Array<[string, string]> = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? '' : pair.slice(equals + 1);
    query.push([decodeQueryComponent(name), decodeQueryComponent(value)]);
  }
  return { rawPath, query };
}

/** Percent-decodes one query component; malformed escapes are kept as sent (the signature check then decides). */
function decodeQueryComponent(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

/** The single value of a header; repeated headers are joined with commas, as SigV4 canonicalization does. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Percent-encodes as RFC 3986 (and SigV4) require: everything but unreserved characters. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}
