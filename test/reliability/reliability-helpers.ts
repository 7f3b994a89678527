import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { RandomAccessSource } from '../../app/library/index.ts';
import { wellFormed } from '../../infra/deployment-verification/raw-request.ts';
import { LOCAL_DATABASE_FILE } from '../../infra/local/persistence/local-database.ts';
import { unreferencedBlobs } from '../integration/local-s3/unreferenced-blobs.ts';

export { sendRaw, signRequest, wellFormed, type RawAnswer, type RawRequest } from '../../infra/deployment-verification/raw-request.ts';

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

/**
 * Files a write leaves behind while it is in progress: blob files no object or part record refers
 * to (and blob ids still listed as loose), staging directories (`tmp/`) and atomic-write siblings
 * (`.name.<hex>.tmp`).
 */
export async function temporaryFilesUnder(dataDirectory: string): Promise<string[]> {
  const staging = (await filesUnder(dataDirectory)).filter((path) => path.split('/').includes('tmp') || /(^|\/)\.[^/]*\.tmp$/.test(path));
  const blobs = existsSync(join(dataDirectory, LOCAL_DATABASE_FILE)) ? await unreferencedBlobs(dataDirectory) : [];
  return [...staging, ...blobs];
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
