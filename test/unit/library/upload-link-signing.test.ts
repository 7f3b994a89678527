import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CopyObjectCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEncryptionHeader } from '../../../app/library/encryption-header.ts';
import { ScopedStorageClient } from '../../../app/library/scoped-storage-client.ts';
import { StorageError } from '../../../app/library/storage-errors.ts';
import { signUploadLink, UPLOAD_LINK_SIGNING_CONFIG, type CheckedUploadLinkOptions } from '../../../app/library/upload-links.ts';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token' };
const OUTPUTS = { region: REGION, bucket: 'bucket', identityPoolId: `${REGION}:pool`, developerProviderName: 'dev', tokenServiceUrl: 'https://token.example', guestsAllowed: true };

/** An HTTP server that answers every request 200 and keeps its method, path and headers: what the SDK really sent. */
let server: Server;
let endpoint: string;
const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    request.resume();
    request.on('end', () => {
      const body = request.url?.includes('uploads') ? '<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>' : '';
      const copy = request.headers['x-amz-copy-source'] !== undefined ? '<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>' : '';
      response.writeHead(200, { 'content-type': 'application/xml', etag: '"e"' }).end(body || copy);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function client(config: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: CREDENTIALS, maxAttempts: 1, ...config });
}

const IN_AN_HOUR = (): Date => new Date(Date.now() + 3_600_000);
const PUT: CheckedUploadLinkOptions = { maxBytes: 100, expiresInSeconds: 300, method: 'PUT', contentType: 'text/plain' };
const POST: CheckedUploadLinkOptions = { ...PUT, method: 'POST' };

function checksumNames(url: string): string[] {
  return [...new URL(url).searchParams.keys()].filter((name) => /^x-amz-(checksum-|sdk-checksum-algorithm$)/i.test(name));
}

describe('upload links name no checksum', () => {
  it('the premise: a PutObject presigned by a default client carries the CRC32 of an empty body', async () => {
    const url = await getSignedUrl(client(), new PutObjectCommand({ Bucket: 'bucket', Key: 'k' }), { expiresIn: 60 });
    expect(new URL(url).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    expect(new URL(url).searchParams.get('x-amz-sdk-checksum-algorithm')).toBe('CRC32');
  });

  it('a PUT link signed with the link-signing setting has no x-amz-checksum-* and no x-amz-sdk-checksum-algorithm', async () => {
    const link = await signUploadLink({ s3: client(UPLOAD_LINK_SIGNING_CONFIG), bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: PUT, credentialsExpireAt: IN_AN_HOUR(), encryption: 'AES256' });
    expect(checksumNames(link.url)).toEqual([]);
    const signedHeaders = new URL(link.url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    expect(signedHeaders).toEqual(['content-type', 'host', 'if-none-match', 'x-amz-server-side-encryption']);
  });

  it('a PUT link from a client that would sign an empty body\'s checksum is refused (InvalidConfiguration), not handed out', async () => {
    const error = await signUploadLink({ s3: client(), bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: PUT, credentialsExpireAt: IN_AN_HOUR(), encryption: 'AES256' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('InvalidConfiguration');
  });

  it('normal uploads keep their checksum: the link-signing setting is only on the signer', async () => {
    received.length = 0;
    await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'hello' }));
    const sent = received[0]!;
    const checksumHeader = sent.headers['x-amz-checksum-crc32'] ?? sent.headers['x-amz-trailer'];
    expect(checksumHeader).toBeDefined();
  });
});

describe('the encryption the library names', () => {
  for (const encryption of ['AES256', 'aws:kms'] as const) {
    it(`${encryption}: the PUT link signs it and tells the uploader to send it; the POST form carries it as a policy condition`, async () => {
      const s3 = client(UPLOAD_LINK_SIGNING_CONFIG);
      const put = await signUploadLink({ s3, bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: PUT, credentialsExpireAt: IN_AN_HOUR(), encryption });
      expect(put.headers?.['x-amz-server-side-encryption']).toBe(encryption);
      expect(new URL(put.url).searchParams.has('x-amz-server-side-encryption')).toBe(false);
      const post = await signUploadLink({ s3, bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: POST, credentialsExpireAt: IN_AN_HOUR(), encryption });
      expect(post.fields?.['x-amz-server-side-encryption']).toBe(encryption);
      const policy = JSON.parse(Buffer.from(post.fields!.Policy!, 'base64').toString('utf8')) as { conditions: unknown[] };
      expect(policy.conditions).toContainEqual({ 'x-amz-server-side-encryption': encryption });
    });
  }

  it('sendEncryptionHeader names aws:kms on PutObject, CreateMultipartUpload and CopyObject, not on UploadPart; an explicit value stays', async () => {
    const s3 = client();
    sendEncryptionHeader(s3, 'aws:kms');
    received.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x' }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bucket', Key: 'k' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'bucket', Key: 'k2', CopySource: 'bucket/k' }));
    await s3.send(new UploadPartCommand({ Bucket: 'bucket', Key: 'k', UploadId: 'u', PartNumber: 1, Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x', ServerSideEncryption: 'AES256' }));
    expect(received.map((request) => request.headers['x-amz-server-side-encryption'])).toEqual(['aws:kms', 'aws:kms', 'aws:kms', undefined, 'AES256']);
  });

  it('sendEncryptionHeader defaults to AES256', async () => {
    const s3 = client();
    sendEncryptionHeader(s3);
    received.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x' }));
    expect(received[0]?.headers['x-amz-server-side-encryption']).toBe('AES256');
  });

  it('the client option takes only AES256 or aws:kms (InvalidConfiguration otherwise)', () => {
    expect(() => new ScopedStorageClient({ outputs: OUTPUTS, encryption: 'aws:kms' })).not.toThrow();
    for (const encryption of ['aws:kms:dsse', 'aes256', '']) {
      let error: unknown;
      try {
        new ScopedStorageClient({ outputs: OUTPUTS, encryption: encryption as 'AES256' });
      } catch (caught) {
        error = caught;
      }
      expect((error as StorageError).code).toBe('InvalidConfiguration');
    }
  });
});
