import type { PutObjectCommand, PutObjectCommandOutput, S3Client, UploadPartCommand, UploadPartCommandOutput } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/types';
import type * as NodeStream from 'node:stream';

interface SendOptions {
  abortSignal: AbortSignal;
  /** Body bytes the HTTP layer has taken so far in this attempt. */
  onBytesSent: (bytes: number) => void;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Sends a command with a byte body and reports how many body bytes the HTTP layer has taken so
 * far, while the request is in flight. The body is swapped after signing, once per attempt (so
 * the SDK's own retries start at 0 again; the caller keeps the highest count):
 * - in Node, for a counting stream of the same bytes that the SDK's NodeHttpHandler pipes into
 *   the socket, so a byte is counted when the request consumes it;
 * - in a browser, the request goes out by XMLHttpRequest, whose upload events count sent bytes
 *   (fetch cannot report upload progress).
 * Elsewhere (no node:stream, no XMLHttpRequest) the count moves only when the request ends.
 */
export function sendWithUploadProgress(s3: S3Client, command: PutObjectCommand, options: SendOptions): Promise<PutObjectCommandOutput>;
export function sendWithUploadProgress(s3: S3Client, command: UploadPartCommand, options: SendOptions): Promise<UploadPartCommandOutput>;
export async function sendWithUploadProgress(s3: S3Client, command: PutObjectCommand | UploadPartCommand, options: SendOptions): Promise<PutObjectCommandOutput | UploadPartCommandOutput> {
  (command.middlewareStack as { add(middleware: unknown, options: object): void }).add(
    (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
      const request = args.request as HttpRequest;
      if (!(request.body instanceof Uint8Array)) return next(args);
      if (typeof XMLHttpRequest !== 'undefined') return { response: await sendByXhr(request, request.body, options), output: undefined };
      const countingBody = countingNodeStream(request.body, options.onBytesSent);
      return next(countingBody ? { ...args, request: { ...request, body: countingBody } } : args);
    },
    { step: 'deserialize', priority: 'low', name: 'countUploadedBytes' },
  );
  return s3.send(command as PutObjectCommand, { abortSignal: options.abortSignal });
}

/** A Node Readable of `bytes` that reports how much of it has been read. Without node:stream (a browser bundle) undefined. */
function countingNodeStream(bytes: Uint8Array, onBytesRead: (bytes: number) => void): unknown {
  // getBuiltinModule (Node 22.3+) instead of an import: this module is in the browser entry, which loads no Node module.
  const nodeStream = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('stream') as typeof NodeStream | undefined;
  if (!nodeStream || bytes.byteLength === 0) return undefined;
  let offset = 0;
  return new nodeStream.Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (offset >= bytes.byteLength) {
        this.push(null);
        return;
      }
      const chunk = bytes.subarray(offset, Math.min(offset + CHUNK_BYTES, bytes.byteLength));
      offset += chunk.byteLength;
      this.push(chunk);
      onBytesRead(offset);
    },
  });
}

/** The signed request sent by XMLHttpRequest, answered in the shape the SDK's deserializers read. */
function sendByXhr(request: HttpRequest, body: Uint8Array, options: SendOptions): Promise<{ statusCode: number; reason?: string; headers: Record<string, string>; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const query = Object.entries(request.query ?? {})
      .flatMap(([name, value]) => (value === null ? [encodeURIComponent(name)] : (Array.isArray(value) ? value : [value]).map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(item)}`)))
      .join('&');
    const port = request.port ? `:${request.port}` : '';
    xhr.open(request.method, `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`);
    xhr.responseType = 'arraybuffer';
    // The browser sets these itself and refuses them from scripts.
    const browserOwned = new Set(['host', 'content-length', 'expect', 'connection', 'user-agent']);
    for (const [name, value] of Object.entries(request.headers)) if (!browserOwned.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => options.onBytesSent(event.loaded);
    const abort = () => xhr.abort();
    options.abortSignal.addEventListener('abort', abort, { once: true });
    const settle = () => options.abortSignal.removeEventListener('abort', abort);
    xhr.onload = () => {
      settle();
      const headers: Record<string, string> = {};
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ statusCode: xhr.status, reason: xhr.statusText, headers, body: new Uint8Array(xhr.response as ArrayBuffer) });
    };
    xhr.onerror = () => {
      settle();
      reject(Object.assign(new TypeError('Network error while sending the request.'), { name: 'NetworkingError' }));
    };
    xhr.onabort = () => {
      settle();
      reject(Object.assign(new Error('The request was aborted.'), { name: 'AbortError' }));
    };
    if (options.abortSignal.aborted) xhr.abort();
    else xhr.send(body as Uint8Array<ArrayBuffer>);
  });
}
