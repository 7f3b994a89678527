import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { REGION } from './local-s3-fixture.ts';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function s3Signer(credentials: IssuedCredentials): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
}

/** Signs a request the way an SDK would (headers given are signed as they are) and returns the headers to send. */
export async function signHeaders(
  credentials: IssuedCredentials,
  endpoint: string,
  request: { method: string; path: string; query?: Record<string, string>; headers: Record<string, string> },
  signingDate = new Date(),
): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const signed = await s3Signer(credentials).sign(
    { method: request.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: request.path, query: request.query ?? {}, headers: { host: url.host, ...request.headers } },
    { signingDate },
  );
  return signed.headers;
}

/** Sends raw bytes (or a stream of writes) and collects the answer; `destroyAfterWrite` cuts the connection instead. */
export function sendRaw(
  endpoint: string,
  options: { method: string; path: string; headers: Record<string, string | number>; body?: Buffer | Buffer[]; destroyAfterWrite?: boolean },
): Promise<RawResponse | 'destroyed'> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', (error) => (options.destroyAfterWrite ? resolve('destroyed') : reject(error)));
    for (const chunk of Array.isArray(options.body) ? options.body : options.body ? [options.body] : []) outgoing.write(chunk);
    if (options.destroyAfterWrite) {
      setTimeout(() => {
        outgoing.destroy();
        resolve('destroyed');
      }, 50);
      return;
    }
    outgoing.end();
  });
}

export function errorCode(response: RawResponse | 'destroyed'): string | undefined {
  return response === 'destroyed' ? undefined : /<Code>([^<]+)<\/Code>/.exec(response.body)?.[1];
}
