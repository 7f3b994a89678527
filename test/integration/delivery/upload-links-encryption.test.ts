import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ScopedStorageClient, UploadLink } from '../../../app/library/index.ts';
import { createNodeStorageClient } from '../../../app/library/node/create-node-storage-client.ts';
import { startMainJob, type RunningMainJob } from '../../../infra/local/main-job.ts';
import { developmentSessionToken } from '../client/main-job-fixture.ts';

/** The links' https:// addresses fetched over the local cloud's loopback HTTP (SigV4 signs the host, not the scheme). */
const viaLoopbackHttp = (url: string): string => url.replace(/^https:/, 'http:');

async function postForm(url: string, fields: Record<string, string>, file: string): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), 'f.bin');
  return fetch(viaLoopbackHttp(url), { method: 'POST', body: form });
}

let stateDirectory: string;
let job: RunningMainJob;
let alice: ScopedStorageClient;
let aliceId: string;
let bucket: string;
/** An SDK client with alice's credentials that names no encryption unless told (what an old or careless client sends). */
let plainS3: S3Client;

beforeAll(async () => {
  stateDirectory = await mkdtemp(join(tmpdir(), 'upload-links-encryption-'));
  job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { requireEncryptionHeader: true }, tokenServiceLog: false });
  bucket = job.cloud.outputs.bucket;
  const session = await developmentSessionToken(job.tokenService.url, 'alice', 'acme');
  // The client learns the requirement from the outputs file, as an app would.
  alice = await createNodeStorageClient(job.cloud.outputsPath, { getSessionToken: () => session, partSize: 5 * 1024 * 1024, multipartThreshold: 5 * 1024 * 1024 });
  aliceId = (await alice.whoami()).identityId;
  plainS3 = new S3Client({ region: job.cloud.outputs.region, endpoint: viaLoopbackHttp(job.cloud.outputs.endpoints.s3), forcePathStyle: true, credentials: alice.credentials.provide, maxAttempts: 1 });
}, 120_000);
afterAll(async () => {
  await job?.close();
  await rm(stateDirectory, { recursive: true, force: true });
});

describe('a bucket policy requiring x-amz-server-side-encryption (requireEncryptionHeader)', () => {
  test('the deployment says so in its outputs file', async () => {
    expect(JSON.parse(await readFile(job.cloud.outputsPath, 'utf8'))).toMatchObject({ encryptionHeaderRequired: true });
  });

  test('an upload without the header is denied; with it, allowed', async () => {
    const refused = await plainS3.send(new PutObjectCommand({ Bucket: bucket, Key: `users/${aliceId}/plain.txt`, Body: 'x' })).then(
      () => 'stored',
      (error: { name?: string }) => error.name,
    );
    expect(refused).toBe('AccessDenied');
    await plainS3.send(new PutObjectCommand({ Bucket: bucket, Key: `users/${aliceId}/named.txt`, Body: 'x', ServerSideEncryption: 'AES256' }));
  });

  test('a multipart upload is judged on CreateMultipartUpload: named there, its parts and completion pass without the header', async () => {
    const key = `users/${aliceId}/multipart.bin`;
    const refused = await plainS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })).then(
      () => 'created',
      (error: { name?: string }) => error.name,
    );
    expect(refused).toBe('AccessDenied');
    const { UploadId } = await plainS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ServerSideEncryption: 'AES256' }));
    const part = await plainS3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'only part' }));
    await plainS3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  });

  test('PUT and POST upload links carry the header and work', async () => {
    const put = await alice.createUploadLink('private', 'links/', { maxBytes: 100 });
    expect((await fetch(viaLoopbackHttp(put.url), { method: 'PUT', headers: put.headers, body: 'via put' })).status).toBe(200);
    const post: UploadLink = await alice.createUploadLink('private', 'links/', { maxBytes: 100, method: 'POST' });
    expect((await postForm(post.url, post.fields ?? {}, 'via post')).status).toBe(201);
  });

  test("the bucket policy pins the bucket's algorithm: a client told aws:kms on this AES256 bucket gets links and uploads S3 refuses (the reverse of AES256 on a KMS bucket)", async () => {
    const session = await developmentSessionToken(job.tokenService.url, 'alice', 'acme');
    const kmsClient = await createNodeStorageClient(job.cloud.outputsPath, { getSessionToken: () => session, encryption: 'aws:kms' });
    const put = await kmsClient.createUploadLink('private', 'links/', { maxBytes: 100 });
    expect(put.headers).toMatchObject({ 'x-amz-server-side-encryption': 'aws:kms' });
    const refusedPut = await fetch(viaLoopbackHttp(put.url), { method: 'PUT', headers: put.headers, body: 'via put' });
    expect(refusedPut.status).toBe(403);
    expect(await refusedPut.text()).toContain('<Code>AccessDenied</Code>');
    const post = await kmsClient.createUploadLink('private', 'links/', { maxBytes: 100, method: 'POST' });
    expect((await postForm(post.url, post.fields ?? {}, 'via post')).status).toBe(403);
    const upload = await kmsClient.upload('private', 'links/kms.txt', 'x').then(
      () => 'stored',
      (error: { code?: string }) => error.code,
    );
    expect(upload).toBe('AccessDenied');
    const stored = await alice.properties('private', 'links/kms.txt').then(
      () => 'stored',
      (error: { code?: string }) => error.code,
    );
    expect(stored).toBe('NotFound');
  });

  test('a POST form without the encryption field is denied by the bucket policy', async () => {
    const form = await createPresignedPost(plainS3, { Bucket: bucket, Key: `users/${aliceId}/form.txt`, Expires: 60 });
    const response = await postForm(form.url, form.fields, 'no header');
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
  });

  test('the library names the encryption on every upload path: single, multipart, folder marker, copy and move', async () => {
    await alice.upload('private', 'lib/small.txt', 'small');
    const big = new Uint8Array(6 * 1024 * 1024).fill(7);
    const uploaded = await alice.upload('private', 'lib/big.bin', big);
    expect(uploaded.etag).toMatch(/-2"$/);
    await alice.createFolder('private', 'lib/folder/');
    await alice.copy({ location: 'private', key: 'lib/small.txt' }, { location: 'private', key: 'lib/copy.txt' });
    await alice.move({ location: 'private', key: 'lib/copy.txt' }, { location: 'private', key: 'lib/moved.txt' });
    expect((await alice.properties('private', 'lib/moved.txt')).size).toBe(5);
  });
});
