import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

// Requests sent byte for byte as given (no URL normalization of `..` or `%2F`), which the SDK
// would never send: the matrix needs them to try path tricks against a deployment.

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

/** What a client can send of a string: well-formed UTF-8 (lone surrogates become U+FFFD). */
export function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

