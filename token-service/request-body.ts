import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * The request's JSON body, or `undefined` when it has none. Reads at most `maxBytes` (whatever
 * Content-Length claims), then requires a JSON content type and well-formed JSON.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const contentLength = request.headers.get('content-length');
  // fetch() sends Content-Length: 0 for a POST without a body; not touching request.body spares building a stream.
  if (contentLength === '0') return undefined;
  const declaredLength = Number(contentLength ?? '0');
  if (declaredLength > maxBytes) throw tooLarge(maxBytes);
  const bytes = await readAtMost(request, maxBytes);
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

async function readAtMost(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request bodies are limited to ${maxBytes} bytes.`);
}

/** Field names come from the caller; echo only a short, printable piece of them. */
function truncate(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}
