import type { IncomingMessage } from 'node:http';
import { RequestEntityTooLargeException } from './errors.ts';

/** Reads the whole body, refusing (without buffering further) once it grows past `maxBytes`. */
export async function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new RequestEntityTooLargeException(`Request body exceeds the limit of ${maxBytes} bytes.`);
  const declaredLength = Number(request.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) throw tooLarge();

  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
