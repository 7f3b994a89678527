import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { RandomAccessSource } from '../../app/library/index.ts';

export const MIB = 1024 * 1024;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** S3's ETag of a multipart object: md5 of the parts' md5s, dash, part count. */
export function multipartEtag(bytes: Uint8Array, partSize: number): string {
  const digests: Buffer[] = [];
  for (let start = 0; start < bytes.byteLength; start += partSize) digests.push(createHash('md5').update(bytes.subarray(start, start + partSize)).digest());
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}"`;
}

export function md5Etag(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}

export async function readAll(stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A source whose every read takes `delayMs`, so an upload lasts long enough to outlive credentials or be killed. */
export function slowSource(bytes: Uint8Array, delayMs: number, name: string): RandomAccessSource {
  return {
    size: bytes.byteLength,
    fingerprint: `${name}:${bytes.byteLength}`,
    async read(start, end) {
      await sleep(delayMs);
      return bytes.subarray(start, end);
    },
  };
}

/** A port nobody listens on right now (for services that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Every file under `directory` (relative paths), or none when it does not exist. */
export async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(directory, join(entry.parentPath, entry.name))).sort();
}

/** Files a write leaves behind while it is in progress: staged bodies (`tmp/`) and atomic-write siblings (`.name.<hex>.tmp`). */
export async function temporaryFilesUnder(dataDirectory: string): Promise<string[]> {
  return (await filesUnder(dataDirectory)).filter((path) => path.split('/').includes('tmp') || /(^|\/)\.[^/]*\.tmp$/.test(path));
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  url: string;
  method: string;
  /** The request target as sent (already encoded; never normalized). */
  path: string;
  /** An object, or a flat `[name, value, name, value...]` list (duplicates allowed; must hold Host). */
  headers: Record<string, string> | string[];
  body?: Buffer | string;
  /** Send only this many bytes of the body, then cut the connection. */
  cutAfterBytes?: number;
  ca?: Buffer | string;
  timeoutMs?: number;
}

/** One request through node:http(s), sent exactly as given; `'cut'` when the client cut it, `'no-answer'` when the server closed without one. */
export function sendRaw(request: RawRequest): Promise<RawAnswer | 'cut' | 'no-answer'> {
  const url = new URL(request.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (value: RawAnswer | 'cut' | 'no-answer') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    let outgoing: ReturnType<typeof send>;
    try {
      outgoing = send(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers: request.headers, agent: false, ...(request.ca ? { ca: request.ca } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => finish({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', () => finish('no-answer'));
        response.on('aborted', () => finish('no-answer'));
      },
    );
    } catch (error) {
      // node:http refuses to send some headers and paths (invalid characters): the caller sees why.
      reject(error as Error);
      return;
    }
    const timer = setTimeout(() => {
      outgoing.destroy();
      if (!settled) {
        settled = true;
        reject(new Error(`no answer within ${request.timeoutMs ?? 10_000} ms: ${request.method} ${request.path}`));
      }
    }, request.timeoutMs ?? 10_000);
    outgoing.on('error', () => finish(request.cutAfterBytes === undefined ? 'no-answer' : 'cut'));
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    if (request.cutAfterBytes !== undefined) {
      if (body && request.cutAfterBytes > 0) outgoing.write(body.subarray(0, request.cutAfterBytes));
      outgoing.flushHeaders();
      setTimeout(() => {
        outgoing.destroy();
        finish('cut');
      }, 40);
      return;
    }
    outgoing.end(body);
  });
}

/** Signs a request as an SDK would and returns the headers (host included) to send. `path` must already be URI-encoded. */
export async function signRequest(
  credentials: AwsCredentialIdentity,
  options: { endpoint: string; service: 's3' | 'cognito-identity'; region: string; method: string; path: string; query?: Record<string, string>; headers: Record<string, string>; signingDate?: Date },
): Promise<Record<string, string>> {
  const url = new URL(options.endpoint);
  const signer = new SignatureV4({ service: options.service, region: options.region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: options.service !== 's3', applyChecksum: false });
  const signed = await signer.sign(
    { method: options.method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: options.path, query: Object.fromEntries(Object.entries(options.query ?? {}).map(([name, value]) => [wellFormed(name), wellFormed(value)])), headers: { host: url.host, ...options.headers } },
    { signingDate: options.signingDate ?? new Date() },
  );
  return signed.headers;
}

/** Pre-signs a request (query-string SigV4) and returns the query to send. */
export async function presignQuery(
  credentials: AwsCredentialIdentity,
  options: { endpoint: string; region: string; method: string; path: string; expiresIn?: number },
): Promise<Record<string, string>> {
  const url = new URL(options.endpoint);
  const signer = new SignatureV4({ service: 's3', region: options.region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
  const signed = await signer.presign(
    { method: options.method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: options.path, query: {}, headers: { host: url.host } },
    { expiresIn: options.expiresIn ?? 300 },
  );
  return signed.query as Record<string, string>;
}

export function encodeKeyPath(bucket: string, key: string): string {
  return `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** What a client can send of a string: well-formed UTF-8 (lone surrogates become U+FFFD). */
export function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

export function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([name, value]) => [wellFormed(name), wellFormed(value)] as const)
    .map(([name, value]) => (value === '' ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`))
    .join('&');
}

/** A small seeded generator (mulberry32), so a failing fuzz run can be replayed from its seed. */
export class SeededRandom {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let index = 0; index < length; index += 1) buffer[index] = this.int(256);
    return buffer;
  }
  /** A string of `length` characters drawn from a hostile alphabet (controls, unicode, separators). */
  text(length: number): string {
    const alphabet = ['a', 'Z', '0', '/', '.', '..', '%', '%2F', '%00', '\u0000', '\u0001', ' ', '+', '?', '#', '&', '=', '*', '$', '{', '}', '\\', '"', "'", '<', '>', '\u00e9', '\u4e2d', '\ud83d\ude00', '\ud800', '\u202e', '\ufeff', '\n', '\r', '\t', ';', ':', ','];
    let out = '';
    for (let index = 0; index < length; index += 1) out += this.pick(alphabet);
    return out;
  }
}

/** Runs `task` over `items` with `concurrency` workers, in order of the items. */
export async function runPool<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
