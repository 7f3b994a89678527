import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComposedCloud, type ComposedCloud, type SignedInIdentity } from './composed-cloud.ts';

/** The idle timeout of the composed cloud in this suite: S3 bodies get RequestTimeout after it, quiet connections are closed after twice it. */
const IDLE_SECONDS = 0.3;

/**
 * Slow and stalled clients on the composed port (before, `requestTimeout: 0` and no idle timeout
 * let a client that declared a body and sent half of it hold the connection forever).
 */
describe('stalled clients on the composed local cloud', () => {
  let composed: ComposedCloud;
  let alice: SignedInIdentity;

  beforeAll(async () => {
    composed = await startComposedCloud({ clientIdleTimeoutSeconds: IDLE_SECONDS });
    alice = await composed.signIn('alice');
  });
  afterAll(() => composed?.close());

  /** Opens a TLS connection, writes `head`, and resolves with what came back once the server closes it. */
  const writeAndWaitForClose = (head: string) =>
    new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      const started = Date.now();
      const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: composed.cloud.port, ca: composed.caCertificate, servername: 'localhost' }, () => socket.write(head));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve({ answer: Buffer.concat(chunks).toString(), closedAfterMs: Date.now() - started }));
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept a stalled connection open for 10 s'));
      }, 10_000);
    });

  it('a Cognito request whose body stalls is closed after the idle timeout', async () => {
    const { closedAfterMs } = await writeAndWaitForClose(
      'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityService.GetId\r\nContent-Length: 100\r\n\r\n{"IdentityPoolId":',
    );
    expect(closedAfterMs).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000);
  });

  it('an S3 upload whose body stalls gets 400 RequestTimeout, then the connection closes', async () => {
    const key = `${alice.prefix}stalled.bin`;
    const path = `/${composed.bucket}/${key.replace(/:/g, '%3A')}`;
    // Unsigned garbage is refused before its body is read; a stalled body needs a signed request, so sign one.
    const credentials = await composed.exchange(alice.identityId, alice.token);
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { Hash } = await import('@smithy/hash-node');
    const signer = new SignatureV4({ service: 's3', region: composed.region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const signed = await signer.sign({
      method: 'PUT',
      protocol: 'https:',
      hostname: 'localhost',
      port: composed.cloud.port,
      path,
      headers: { host: `localhost:${composed.cloud.port}`, 'content-length': '1000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const headerLines = Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}`).join('\r\n');
    const { answer } = await writeAndWaitForClose(`PUT ${path} HTTP/1.1\r\n${headerLines}\r\n\r\n${'x'.repeat(100)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('<Code>RequestTimeout</Code>');
  });

  it('keeps serving afterwards', async () => {
    const key = `${alice.prefix}alive.txt`;
    await alice.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: 'alive' }));
    const got = await alice.s3.send(new GetObjectCommand({ Bucket: composed.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe('alive');
  });
});
