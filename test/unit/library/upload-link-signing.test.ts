import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CopyObjectCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUploadEncryption, sendEncryptionHeader, type UploadEncryptionSetting } from '../../../app/library/encryption-header.ts';
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
    const link = await signUploadLink({ s3: client(UPLOAD_LINK_SIGNING_CONFIG), bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: PUT, credentialsExpireAt: IN_AN_HOUR(), encryption: { algorithm: 'AES256' } });
    expect(checksumNames(link.url)).toEqual([]);
    const signedHeaders = new URL(link.url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    expect(signedHeaders).toEqual(['content-type', 'host', 'if-none-match', 'x-amz-server-side-encryption']);
  });

  it('a PUT link from a client that would sign an empty body\'s checksum is refused (InvalidConfiguration), not handed out', async () => {
    const error = await signUploadLink({ s3: client(), bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: PUT, credentialsExpireAt: IN_AN_HOUR(), encryption: { algorithm: 'AES256' } }).catch((caught: unknown) => caught);
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

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SETTINGS: UploadEncryptionSetting[] = [{ algorithm: 'AES256' }, { algorithm: 'aws:kms' }, { algorithm: 'aws:kms', kmsKeyArn: KEY_ARN }];

describe('the encryption the library names', () => {
  for (const encryption of SETTINGS) {
    const label = encryption.kmsKeyArn === undefined ? encryption.algorithm : `${encryption.algorithm} with the key`;
    it(`${label}: the PUT link signs it as headers the uploader must send; the POST form carries it as exact policy conditions`, async () => {
      const expected = { 'x-amz-server-side-encryption': encryption.algorithm, ...(encryption.kmsKeyArn !== undefined && { 'x-amz-server-side-encryption-aws-kms-key-id': encryption.kmsKeyArn }) };
      const s3 = client(UPLOAD_LINK_SIGNING_CONFIG);
      const put = await signUploadLink({ s3, bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: PUT, credentialsExpireAt: IN_AN_HOUR(), encryption });
      expect(put.headers).toEqual({ 'If-None-Match': '*', 'Content-Type': 'text/plain', ...expected });
      const query = new URL(put.url).searchParams;
      expect([...query.keys()].filter((name) => name.toLowerCase().startsWith('x-amz-server-side-encryption'))).toEqual([]);
      expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-type', 'host', 'if-none-match', ...Object.keys(expected)]);
      const post = await signUploadLink({ s3, bucket: 'bucket', fullKey: 'users/a/k', key: 'k', options: POST, credentialsExpireAt: IN_AN_HOUR(), encryption });
      expect(post.fields).toMatchObject(expected);
      const policy = JSON.parse(Buffer.from(post.fields!.Policy!, 'base64').toString('utf8')) as { conditions: unknown[] };
      for (const [name, value] of Object.entries(expected)) expect(policy.conditions).toContainEqual({ [name]: value });
      if (encryption.kmsKeyArn === undefined) expect(JSON.stringify(policy.conditions)).not.toContain('kms-key-id');
    });
  }

  it('sendEncryptionHeader names aws:kms and the key on PutObject, CreateMultipartUpload and CopyObject, not on UploadPart; an explicit value stays', async () => {
    const s3 = client();
    sendEncryptionHeader(s3, { algorithm: 'aws:kms', kmsKeyArn: KEY_ARN });
    received.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x' }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bucket', Key: 'k' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'bucket', Key: 'k2', CopySource: 'bucket/k' }));
    await s3.send(new UploadPartCommand({ Bucket: 'bucket', Key: 'k', UploadId: 'u', PartNumber: 1, Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x', ServerSideEncryption: 'AES256' }));
    expect(received.map((request) => request.headers['x-amz-server-side-encryption'])).toEqual(['aws:kms', 'aws:kms', 'aws:kms', undefined, 'AES256']);
    expect(received.map((request) => request.headers['x-amz-server-side-encryption-aws-kms-key-id'])).toEqual([KEY_ARN, KEY_ARN, KEY_ARN, undefined, undefined]);
  });

  it('sendEncryptionHeader defaults to AES256 and names no key', async () => {
    const s3 = client();
    sendEncryptionHeader(s3);
    received.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'x' }));
    expect(received[0]?.headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(received[0]?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
  });

  it('the client options: AES256 by default; aws:kms with or without a key ARN; anything else is InvalidConfiguration', () => {
    expect(checkUploadEncryption()).toEqual({ algorithm: 'AES256' });
    expect(checkUploadEncryption('aws:kms')).toEqual({ algorithm: 'aws:kms' });
    expect(checkUploadEncryption('aws:kms', KEY_ARN)).toEqual({ algorithm: 'aws:kms', kmsKeyArn: KEY_ARN });
    expect(() => new ScopedStorageClient({ outputs: OUTPUTS, encryption: 'aws:kms', encryptionKeyArn: KEY_ARN })).not.toThrow();
    const wrong: Array<[unknown, unknown]> = [
      ['aws:kms:dsse', undefined],
      ['aes256', undefined],
      ['', undefined],
      ['AES256', KEY_ARN],
      ['aws:kms', 'alias/aws/s3'],
      ['aws:kms', `${KEY_ARN}\nx`],
      ['aws:kms', 'arn:aws:kms:us-east-1:123456789012:alias/mine'],
    ];
    for (const [algorithm, keyArn] of wrong) {
      let error: unknown;
      try {
        new ScopedStorageClient({ outputs: OUTPUTS, encryption: algorithm as 'AES256', encryptionKeyArn: keyArn as string });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe('InvalidConfiguration');
    }
  });
});
