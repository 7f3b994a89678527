import type { MatrixWorld } from './matrix-world.ts';
import { sendRaw, type RawAnswer } from './raw-request.ts';

/**
 * Sends a request exactly as given (a pre-signed URL without normalizing `..`, a form) and
 * returns a success; a failure is thrown shaped as the SDK throws S3's errors (name = S3's code,
 * `$metadata.httpStatusCode`), so the matrix classifies both alike.
 */
export async function sendExpectingSuccess(world: MatrixWorld, url: string, method: string, headers: Record<string, string>, body?: Buffer | string): Promise<RawAnswer> {
  const origin = new URL(url).origin;
  const answer = await sendRaw({ url: origin, method, path: url.slice(origin.length) || '/', headers, ...(body === undefined ? {} : { body }), ...(world.ca ? { ca: world.ca } : {}) });
  if (answer === 'cut' || answer === 'no-answer') throw Object.assign(new Error('no answer'), { name: 'NoAnswer' });
  if (answer.status >= 300) throw Object.assign(new Error(answer.body.slice(0, 200)), { name: /<Code>([^<]+)<\/Code>/.exec(answer.body)?.[1] ?? String(answer.status), $metadata: { httpStatusCode: answer.status } });
  return answer;
}

/** Fetches a pre-signed URL exactly as signed, with `headers` (those signed into it) and a body for a PUT. */
export function fetchPresigned(world: MatrixWorld, url: string, method: 'GET' | 'PUT', body?: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return sendExpectingSuccess(world, url, method, { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) }, body);
}

/** A browser-based upload: the form's fields in order, then the file (the last part, as S3 requires). */
export function postForm(world: MatrixWorld, url: string, fields: Record<string, string>, fileText: string): Promise<RawAnswer> {
  const boundary = `----matrix${Math.random().toString(16).slice(2)}`;
  const parts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="matrix.txt"\r\nContent-Type: ${fields['Content-Type'] ?? 'text/plain'}\r\n\r\n${fileText}\r\n--${boundary}--\r\n`);
  const body = Buffer.from(parts.join(''), 'utf8');
  return sendExpectingSuccess(world, url, 'POST', { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) }, body);
}
