import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopedStorageClient } from '../../../app/library/index.ts';
import { startMainJobFixture, type MainJobFixture } from '../client/main-job-fixture.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request to a local port whose Host header says what the test wants (fetch does not let it be set). */
function send(port: number, options: { method: string; path: string; host: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: { ...options.headers, host: options.host }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** Raw bytes on a connection, read until the server closes it or the answer's head has come. */
function sendRawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (/\r\n\r\n/.test(answer)) socket.end();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(text);
  });
}

/** An HTTP/1.0 request carries no Host header at all. */
function sendWithoutHost(port: number, requestLine: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(`${requestLine}\r\n\r\n`);
  });
}

const EVIL = 'evil.example';
const ALLOWED_EXTRA = 'dev-box.test';

/** DNS rebinding: a page on the internet whose name resolves to 127.0.0.1 must get nothing from the local servers. */
describe('the local servers answer only loopback Host names (and the allowed ones)', () => {
  let main: MainJobFixture;
  let alice: ScopedStorageClient;
  let bucket: string;
  let pagePort: number;
  let tokenServicePort: number;
  let cloudPort: number;

  beforeAll(async () => {
    main = await startMainJobFixture({}, { allowedHosts: [ALLOWED_EXTRA] });
    alice = await main.clientFor('alice');
    bucket = main.job.cloud.outputs.bucket;
    pagePort = main.job.page.port;
    tokenServicePort = Number(new URL(main.job.tokenService.url).port);
    cloudPort = main.job.cloud.port;
  });
  afterAll(async () => {
    await main?.close();
  });

  const goodHosts = (port: number) => [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', `${ALLOWED_EXTRA}:${port}`];

  it('web page: /config.json for evil.example is 403 forbidden_host without the outputs; loopback names get them', async () => {
    for (const host of [EVIL, `${EVIL}:${pagePort}`, `localhost.${EVIL}`, `127.0.0.1.${EVIL}`]) {
      const answer = await send(pagePort, { method: 'GET', path: '/config.json', host });
      expect(answer.status, host).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'forbidden_host', message: expect.stringContaining('DNS rebinding') } });
      expect(answer.body).not.toContain(bucket);
    }
    expect((await send(pagePort, { method: 'GET', path: '/', host: EVIL })).status).toBe(403);
    for (const host of goodHosts(pagePort)) {
      const answer = await send(pagePort, { method: 'GET', path: '/config.json', host });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ outputs: { bucket } });
    }
    const withoutHost = await sendWithoutHost(pagePort, 'GET /config.json HTTP/1.0');
    expect(withoutHost).toMatch(/^HTTP\/1\.1 403/);
    expect(withoutHost).not.toContain(bucket);
  });

  it('token service: the development sign-in for evil.example is 403 forbidden_host without a session; loopback names sign in', async () => {
    const signIn = (host: string) => send(tokenServicePort, { method: 'POST', path: '/v1/dev/session', host, headers: { 'content-type': 'application/json' }, body: '{"user":"mallory"}' });
    const refused = await signIn(EVIL);
    expect(refused.status).toBe(403);
    const body = JSON.parse(refused.body) as { error: { code: string; message: string }; sessionToken?: string };
    expect(body.error.code).toBe('forbidden_host');
    expect(body.sessionToken).toBeUndefined();
    expect((await send(tokenServicePort, { method: 'GET', path: '/healthz', host: EVIL })).status).toBe(403);
    for (const host of goodHosts(tokenServicePort)) {
      const answer = await signIn(host);
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ sessionToken: expect.any(String) });
    }
    const withoutHost = await sendWithoutHost(tokenServicePort, 'GET /healthz HTTP/1.0');
    expect(withoutHost).toMatch(/^HTTP\/1\.1 403/);
    expect(withoutHost).toContain('forbidden_host');
  });

  it('local cloud: S3 signed for evil.example is refused with ForbiddenHost and no object; Cognito with ForbiddenHostException', async () => {
    const { prefix } = await alice.whoami();
    const key = `${prefix}secret.txt`;
    await alice.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'the secret' }));
    const credentials = await alice.credentials.get();
    const signer = new SignatureV4({ service: 's3', region: main.job.cloud.outputs.region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
    // Signed for the host the request names, so only the Host check can refuse it.
    const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const getSigned = async (host: string) => {
      const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: host.replace(/:\d+$/, ''), path, query: {}, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
      return send(cloudPort, { method: 'GET', path, host, headers: signed.headers });
    };
    const refused = await getSigned(`${EVIL}:${cloudPort}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('<Code>ForbiddenHost</Code>');
    expect(refused.body).not.toContain('the secret');
    for (const host of goodHosts(cloudPort)) {
      const answer = await getSigned(host);
      expect(answer.status, `${host}: ${answer.body}`).toBe(200);
      expect(answer.body).toBe('the secret');
    }

    const jwks = await send(cloudPort, { method: 'GET', path: '/.well-known/jwks.json', host: EVIL });
    expect(jwks.status).toBe(403);
    expect(JSON.parse(jwks.body)).toMatchObject({ __type: 'ForbiddenHostException' });
    const getId = await send(cloudPort, {
      method: 'POST',
      path: '/',
      host: EVIL,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.GetId' },
      body: JSON.stringify({ IdentityPoolId: main.job.cloud.outputs.identityPoolId }),
    });
    expect(getId.status).toBe(403);
    expect(getId.headers['x-amzn-errortype']).toBe('ForbiddenHostException:');
    expect((await send(cloudPort, { method: 'GET', path: '/.well-known/jwks.json', host: `localhost:${cloudPort}` })).status).toBe(200);
    expect(await sendWithoutHost(cloudPort, 'GET /healthz HTTP/1.0')).toMatch(/^HTTP\/1\.1 403/);
  });

  it('an absolute-form request target naming another host, or two Host headers, get 403 from every server', async () => {
    for (const [name, port, path] of [
      ['page', pagePort, '/config.json'],
      ['token service', tokenServicePort, '/healthz'],
      ['local cloud', cloudPort, '/healthz'],
    ] as const) {
      for (const text of [
        `GET http://${EVIL}${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
        `GET https://${EVIL}:443${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nHost: ${EVIL}\r\nConnection: close\r\n\r\n`,
      ]) {
        const answer = await sendRawRequest(port, text);
        expect(answer.split('\r\n')[0], `${name}: ${text.split('\r\n')[0]}`).toMatch(/^HTTP\/1\.1 (403|400)/);
        expect(answer, name).not.toContain('identityPoolId');
      }
    }
    // Absolute form naming an allowed host is still served where it means anything (the local cloud routes by path, as AWS endpoints do).
    for (const [name, port, path] of [
      ['page', pagePort, '/config.json'],
      ['token service', tokenServicePort, '/healthz'],
    ] as const) {
      const fine = await sendRawRequest(port, `GET http://localhost${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      expect(fine.split('\r\n')[0], `${name}: absolute-form naming localhost`).toMatch(/^HTTP\/1\.1 200/);
    }
  });
});
