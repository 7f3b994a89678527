import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComposedCloud, type ComposedCloud, type SignedInIdentity } from './composed-cloud.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Every file under `directory`, relative to it. */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(directory, join(entry.parentPath, entry.name))).sort();
}

/**
 * Garbage on the composed server's one port (HTTP and TLS share it), malformed documents to
 * Cognito and S3, and traversal keys: each gets a clear answer or a closed connection, the server
 * keeps serving, and nothing lands outside the data directory.
 */
describe('bad input on the composed local cloud', () => {
  let composed: ComposedCloud;
  let alice: SignedInIdentity;
  let credentials: AwsCredentialIdentity;
  let filesOutsideData: string[];
  let filesBesideState: string[];

  beforeAll(async () => {
    composed = await startComposedCloud();
    alice = await composed.signIn('alice');
    credentials = await composed.exchange(alice.identityId, alice.token);
    filesOutsideData = (await filesUnder(composed.stateDirectory)).filter((path) => !path.startsWith('data/'));
    filesBesideState = await readdir(dirname(composed.stateDirectory));
  });
  afterAll(() => composed?.close());

  const port = () => composed.cloud.port;
  /** alice's prefix as it appears URI-encoded in a request path (identity ids hold a colon). */
  const encodedPrefix = () => alice.prefix.replace(/:/g, '%3A');

  /** An HTTPS request through node:https trusting the CA; the body is sent as given. */
  const send = (options: { method: string; path: string; headers: Record<string, string>; body?: string | Buffer }) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const outgoing = httpsRequest(
        { host: '127.0.0.1', port: port(), method: options.method, path: options.path, headers: options.headers, ca: composed.caCertificate, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });

  /** A SigV4-signed S3 request with the raw (already encoded) path, as a hostile but authenticated client would send it. */
  async function signedS3(method: string, path: string, body = '', query: Record<string, string> = {}, extraHeaders: Record<string, string> = {}): Promise<RawAnswer> {
    const signer = new SignatureV4({ service: 's3', region: composed.region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
    const host = `127.0.0.1:${port()}`;
    const signed = await signer.sign({
      method,
      protocol: 'https:',
      hostname: '127.0.0.1',
      port: port(),
      path,
      query,
      headers: { host, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'), ...extraHeaders },
    });
    const search = new URLSearchParams(query).toString();
    return send({ method, path: search ? `${path}?${search}` : path, headers: signed.headers, body });
  }

  /** Writes raw bytes to the port and reports what came back before the server closed (or `timeout`). */
  const rawTcp = (bytes: Buffer, waitMs = 2000) =>
    new Promise<{ answer: string; closedByServer: boolean }>((resolve) => {
      const socket = netConnect(port(), '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ answer: Buffer.concat(chunks).toString('latin1'), closedByServer: false });
      }, waitMs);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ answer: Buffer.concat(chunks).toString('latin1'), closedByServer: true });
      });
      socket.write(bytes, () => socket.end());
    });

  async function expectStillServing(): Promise<void> {
    const key = `${alice.prefix}still-alive.txt`;
    await alice.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: 'alive' }));
    expect(await (await alice.s3.send(new GetObjectCommand({ Bucket: composed.bucket, Key: key }))).Body!.transformToString()).toBe('alive');
  }

  it('answers non-HTTP bytes and unknown methods with 400, then closes the connection', async () => {
    for (const garbage of [Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]), Buffer.from('HELLO THERE\r\n\r\n'), Buffer.from('BREW / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('GET / HTTP/9.9\r\nHost: x\r\n\r\n'), Buffer.alloc(64 * 1024, 0x41)]) {
      const { answer, closedByServer } = await rawTcp(garbage);
      expect(closedByServer).toBe(true);
      expect(answer, JSON.stringify(garbage.subarray(0, 20).toString('latin1'))).toMatch(/^HTTP\/1\.1 (400|505)/);
    }
    await expectStillServing();
  });

  it('survives a TLS ClientHello cut short and a TLS client that gives up mid-handshake', async () => {
    // A handshake record header announcing 512 bytes, followed by only a few.
    const truncatedHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    const { closedByServer } = await rawTcp(truncatedHello);
    expect(closedByServer).toBe(true);
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: port(), rejectUnauthorized: false });
      socket.on('error', () => undefined);
      socket.once('secureConnect', () => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"half":');
        socket.destroy();
        resolve();
      });
    });
    // A TLS handshake with a certificate the client does not trust fails on the client only.
    await expect(
      new Promise((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: port() });
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      }),
    ).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    await expectStillServing();
  });

  it('answers oversized headers over TLS with 431 as over plain HTTP (the TLS handshake bytes once made it a silent close)', async () => {
    for (const head of [`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, `GET /?${'p=1&'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`]) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: port(), ca: composed.caCertificate, servername: 'localhost' }, () => socket.write(head));
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(error)));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      });
      expect(answer.split('\r\n')[0], `${head.length} bytes of head`).toMatch(/^HTTP\/1\.1 431/);
    }
    await expectStillServing();
  });

  it('answers malformed JSON to Cognito with a JSON error', async () => {
    for (const body of ['{not json', '', '[]', '{"IdentityPoolId": 42}', '\u0000\u0001']) {
      const answer = await send({
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.GetId' },
        body,
      });
      expect(answer.status, body).toBe(400);
      const error = JSON.parse(answer.body) as { __type?: string; message?: string };
      expect(error.__type, body).toMatch(/SerializationException|InvalidParameterException|ValidationException/);
      expect(error.message).toBeTruthy();
    }
    const unknownOperation = await send({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.DropAllTables' }, body: '{}' });
    expect(unknownOperation.status).toBe(400);
    expect(JSON.parse(unknownOperation.body)).toMatchObject({ __type: expect.stringMatching(/UnknownOperationException|InvalidAction/) });
    await expectStillServing();
  });

  it('answers malformed XML to S3 with MalformedXML (and loses nothing)', async () => {
    const created = await signedS3('POST', `/${composed.bucket}/${encodedPrefix()}multipart-target.bin`, '', { uploads: '' });
    expect(created.status).toBe(200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)![1]!;
    for (const body of ['<CompleteMultipartUpload><Part>', 'not xml at all', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload><Part><PartNumber>&e;</PartNumber></Part></CompleteMultipartUpload>']) {
      const answer = await signedS3('POST', `/${composed.bucket}/${encodedPrefix()}multipart-target.bin`, body, { uploadId });
      expect(answer.status, body).toBe(400);
      expect(answer.body).toMatch(/<Code>(MalformedXML|InvalidPart|InvalidRequest)<\/Code>/);
      expect(answer.body).not.toContain('root:');
    }
    const deleteBody = '<Delete><Object><Key>unterminated';
    const deleted = await signedS3('POST', `/${composed.bucket}`, deleteBody, { delete: '' }, { 'content-md5': createHash('md5').update(deleteBody).digest('base64') });
    expect(deleted.status).toBe(400);
    expect(deleted.body).toContain('<Code>MalformedXML</Code>');
    // The upload is still there, unharmed.
    const parts = await signedS3('GET', `/${composed.bucket}/${encodedPrefix()}multipart-target.bin`, '', { uploadId });
    expect(parts.status).toBe(200);
    await expectStillServing();
  });

  it('treats ../ and %2F..%2F in keys as literal key characters inside the bucket', async () => {
    const traversals = [
      `/${composed.bucket}/${encodedPrefix()}../../../../escape-1.txt`,
      `/${composed.bucket}/${encodedPrefix()}..%2F..%2F..%2F..%2Fescape-2.txt`,
      `/${composed.bucket}/${encodedPrefix()}..%5C..%5C..%5Cescape-4.txt`,
    ];
    for (const path of traversals) {
      const written = await signedS3('PUT', path, 'traversal payload');
      // S3 takes the key literally: it stays under alice's prefix, where she may write.
      expect(written.status, path).toBe(200);
      expect((await signedS3('GET', path)).body).toBe('traversal payload');
    }
    // Outside alice's prefix the same tricks are denied by the policy, as the key is taken literally.
    const denied = await signedS3('PUT', `/${composed.bucket}/users/..%2F${encodedPrefix()}sneaky.txt`, 'x');
    expect(denied.status).toBe(403);
    const bucketEscape = await signedS3('PUT', `/${composed.bucket}/..%2F..%2Fescape-5.txt`, 'x');
    expect([400, 403]).toContain(bucketEscape.status);

    expect((await filesUnder(composed.stateDirectory)).filter((path) => !path.startsWith('data/'))).toEqual(filesOutsideData);
    expect(await readdir(dirname(composed.stateDirectory))).toEqual(expect.arrayContaining(filesBesideState));
    expect((await readdir(dirname(composed.stateDirectory))).filter((name) => name.startsWith('escape'))).toEqual([]);
    expect((await filesUnder(composed.dataDirectory)).filter((path) => path.includes('escape'))).toEqual([]);
    await expectStillServing();
  });

  it('answers an unsigned request with AccessDenied, and a forged signature with SignatureDoesNotMatch', async () => {
    const unsigned = await send({ method: 'GET', path: `/${composed.bucket}/${encodedPrefix()}still-alive.txt`, headers: {} });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain('<Code>AccessDenied</Code>');
    const signed = await signedS3('GET', `/${composed.bucket}/${encodedPrefix()}still-alive.txt`);
    expect(signed.status).toBe(200);
    const forged = { ...credentials, secretAccessKey: `${credentials.secretAccessKey.slice(0, -2)}xx` };
    const signer = new SignatureV4({ service: 's3', region: composed.region, credentials: forged, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const host = `127.0.0.1:${port()}`;
    const forgedRequest = await signer.sign({ method: 'GET', protocol: 'https:', hostname: '127.0.0.1', port: port(), path: `/${composed.bucket}/${encodedPrefix()}still-alive.txt`, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const answer = await send({ method: 'GET', path: `/${composed.bucket}/${encodedPrefix()}still-alive.txt`, headers: forgedRequest.headers });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
