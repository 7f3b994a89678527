import type { IncomingMessage } from 'node:http';
import { RequestEntityTooLargeException } from '../cognito-errors.ts';

/**
 * Reads the whole body, refusing once it grows past `maxBytes`. The rest of an oversized body is
 * drained, not buffered: destroying the request would take the socket down before the error
 * answer reaches the client.
 */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new RequestEntityTooLargeException(`Request body exceeds the limit of ${maxBytes} bytes.`);
  const declaredLength = Number(request.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    request.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData).off('end', onEnd).resume();
      reject(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    request.on('data', onData).on('end', onEnd).once('error', reject);
  });
}
