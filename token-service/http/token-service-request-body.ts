import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './token-service-errors.ts';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * 413 payload_too_large past `maxBytes`: hono's bodyLimit refuses a Content-Length over it at once
 * and counts a body sent without one. Behind it a declared length is the body's real length: Node's
 * HTTP parser reads no more than it, and the Lambda adapter sets it from the event's body.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(`Request bodies are limited to ${maxBytes} bytes.`);
    },
  });
  // fetch() sends Content-Length: 0 for a POST without a body; not touching request.body spares building a stream.
  return (c, next) => (c.req.header('content-length') === '0' ? next() : limit(c, next));
}

/**
 * The request's JSON body, or `undefined` when it has none; requires a JSON content type and
 * well-formed JSON. Only behind {@link limitBody}, which bounds what this reads.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  if (request.headers.get('content-length') === '0') return undefined;
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length === 0) return undefined;
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) throw new UnsupportedMediaTypeError('Request bodies must be JSON (Content-Type: application/json).');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidRequestError('The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidRequestError('The request body is not well-formed JSON.');
  }
}

/** A JSON body that must be an object with only the named fields (all optional strings). */
export function stringFields<Name extends string>(body: unknown, names: readonly Name[]): Partial<Record<Name, string>> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const fields: Partial<Record<Name, string>> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!(names as readonly string[]).includes(name)) {
      throw new InvalidRequestError(`Unknown field "${truncate(name)}"; the body may contain ${names.map((known) => `"${known}"`).join(', ')}.`);
    }
    if (typeof value !== 'string') throw new InvalidRequestError(`"${name}" must be a string.`);
    fields[name as Name] = value;
  }
  return fields;
}

/** Field names come from the caller; echo only a short, printable piece of them. */
function truncate(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}
