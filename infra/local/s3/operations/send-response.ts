import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

export function sendXml(response: ServerResponse, body: string, status = 200): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/xml');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}

export function sendEmpty(response: ServerResponse, status: number): void {
  response.statusCode = status;
  response.setHeader('content-length', 0);
  response.end();
}

/** Bodies up to this size are read whole and sent with the headers in one write. */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * Sends a body of `length` bytes. A small one is read whole first, so headers and bytes leave in
 * one write (one TLS record, no stream plumbing on the answer); a larger one is streamed. A body
 * that fails to read cuts the answer off, as it would half-way through a stream.
 */
export async function sendBody(body: Readable, length: number, response: ServerResponse): Promise<void> {
  if (length > SMALL_BODY_BYTES) return sendStream(body, response);
  const whole = await readWhole(body);
  if (whole === undefined) response.destroy();
  else response.end(whole);
}

/** The bytes of a stream, or undefined when it fails or closes before its end (listeners, not an async iterator: cheaper for a chunk or two). */
function readWhole(body: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('error', () => resolve(undefined));
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    body.once('close', () => resolve(undefined));
  });
}

/**
 * Streams a body into the answer; settles when the answer is done or cut off, never rejects (the
 * client may stop reading at any time: that ends this answer, not the server). `pipe` with two
 * listeners rather than `pipeline`, which builds and aborts an AbortController (and so a
 * DOMException with its stack trace) for every answer.
 */
function sendStream(body: Readable, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    body.on('error', () => response.destroy());
    response.once('close', () => {
      if (!body.readableEnded) body.destroy();
      resolve();
    });
    body.pipe(response);
  });
}
