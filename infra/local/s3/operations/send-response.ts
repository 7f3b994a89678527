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

/**
 * Sends an object's bytes, opened before the headers were written: a Buffer (a small body, read
 * whole) leaves with the headers in one write; a stream is piped, and a read that fails half-way
 * cuts the answer off.
 */
export async function sendBody(body: Buffer | Readable, response: ServerResponse): Promise<void> {
  if (Buffer.isBuffer(body)) response.end(body);
  else await sendStream(body, response);
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
