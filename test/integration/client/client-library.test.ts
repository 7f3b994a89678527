import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScopedStorageClient, type UploadTaskProgress } from '../../../app/library/index.ts';
import { createNodeStorageClient } from '../../../app/library/node/create-node-storage-client.ts';
import { downloadToFile } from '../../../app/library/node/download-to-file.ts';
import { FileResumeStore } from '../../../app/library/node/file-resume-store.ts';
import { fileSource } from '../../../app/library/node/file-source.ts';
import { toStorageError } from '../../../app/library/storage-errors.ts';
import { startMainJobFixture, type MainJobFixture } from './main-job-fixture.ts';
import { slowSource } from '../../reliability/reliability-helpers.ts';
import { countCommands, expectStorageError } from './client-assertions.ts';

const MIB = 1024 * 1024;
/** The smallest multipart settings S3 allows, so multipart paths run on small test files. */
const SMALL_PARTS = { partSize: 5 * MIB, multipartThreshold: 6 * MIB } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** S3's ETag of a multipart object. */
function multipartEtag(bytes: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += partSize) digests.push(createHash('md5').update(bytes.subarray(start, start + partSize)).digest());
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}"`;
}



/** The client library against `npm start` (local cloud + token service), as an app uses it. */
describe('client library on the main job', () => {
  let main: MainJobFixture;
  let alice: ScopedStorageClient;
  let bob: ScopedStorageClient;
  let workDirectory: string;

  beforeAll(async () => {
    main = await startMainJobFixture();
    workDirectory = await mkdtemp(join(tmpdir(), 'client-library-'));
    [alice, bob] = await Promise.all([main.clientFor('alice', { tenant: 'acme', ...SMALL_PARTS }), main.clientFor('bob', SMALL_PARTS)]);
  });
  afterAll(async () => {
    await main?.close();
    if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
  });

  it('whoami names the identity, its folder and when the credentials expire', async () => {
    const identity = await alice.whoami();
    expect(identity.identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(identity.prefix).toBe(`users/${identity.identityId}/`);
    expect(identity.credentialsExpireAt.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect((await bob.whoami()).identityId).not.toBe(identity.identityId);
  });

  describe('upload and download', () => {
    it('uploads small bodies (bytes, text, Blob) in one request and reads them back', async () => {
      const progress: UploadTaskProgress[] = [];
      const result = await alice.upload('small/bytes.bin', new Uint8Array([1, 2, 3, 4]), { onProgress: (event) => progress.push(event) });
      expect(result).toMatchObject({ key: 'small/bytes.bin', size: 4, resumed: false });
      expect(result.etag).toBe(`"${createHash('md5').update(Buffer.from([1, 2, 3, 4])).digest('hex')}"`);
      expect(progress.at(-1)).toEqual({ loadedBytes: 4, totalBytes: 4 });

      await alice.upload('small/text.txt', 'hello world', { contentType: 'text/plain', metadata: { origin: 'test' } });
      await alice.upload('small/blob.txt', new Blob(['from a blob']));
      const text = await alice.download('small/text.txt');
      expect(text.contentType).toBe('text/plain');
      expect((await readAll(text.body)).toString()).toBe('hello world');
      expect((await readAll((await alice.download('small/blob.txt')).body)).toString()).toBe('from a blob');
    });

    it('uploads big bodies in parts with progress, with S3\'s multipart ETag', async () => {
      const bytes = randomBytes(12 * MIB + 17);
      const progress: UploadTaskProgress[] = [];
      const counts = countCommands(alice);
      const result = await alice.upload('big/parts.bin', bytes, { onProgress: (event) => progress.push(event) });
      expect(result.etag).toBe(multipartEtag(bytes, SMALL_PARTS.partSize));
      expect(counts.get('UploadPartCommand')).toBe(3);
      expect(progress.at(-1)).toEqual({ loadedBytes: bytes.length, totalBytes: bytes.length });
      for (let index = 1; index < progress.length; index += 1) expect(progress[index]!.loadedBytes).toBeGreaterThanOrEqual(progress[index - 1]!.loadedBytes);
      expect((await readAll((await alice.download('big/parts.bin')).body)).equals(bytes)).toBe(true);
    });

    it('uploads a big Blob and a file in parts', async () => {
      const bytes = randomBytes(11 * MIB);
      await alice.upload('big/blob.bin', new Blob([bytes]));
      expect((await readAll((await alice.download('big/blob.bin')).body)).equals(bytes)).toBe(true);
      const path = join(workDirectory, 'upload-me.bin');
      await writeFile(path, bytes);
      const result = await alice.upload('big/file.bin', await fileSource(path));
      expect(result.etag).toBe(multipartEtag(bytes, SMALL_PARTS.partSize));
      const target = join(workDirectory, 'downloaded.bin');
      expect(await downloadToFile(alice, 'big/file.bin', target)).toEqual({ bytes: bytes.length });
      expect((await readFile(target)).equals(bytes)).toBe(true);
    });

    it('uploads streams of unknown length (web ReadableStream and async iterable), small and multipart', async () => {
      const bytes = randomBytes(11 * MIB + 5);
      const chunkSize = MIB;
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.subarray(offset, offset + chunkSize));
          offset += chunkSize;
        },
      });
      const progress: UploadTaskProgress[] = [];
      const result = await alice.upload('stream/web.bin', stream, { onProgress: (event) => progress.push(event) });
      expect(result.etag).toMatch(/-3"$/);
      expect(progress.at(-1)?.loadedBytes).toBe(bytes.length);
      expect((await readAll((await alice.download('stream/web.bin')).body)).equals(bytes)).toBe(true);

      async function* lines() {
        for (let line = 0; line < 3; line += 1) yield new TextEncoder().encode(`line ${line}\n`);
      }
      await alice.upload('stream/lines.txt', lines());
      expect((await readAll((await alice.download('stream/lines.txt')).body)).toString()).toBe('line 0\nline 1\nline 2\n');
    });

    it('downloads a byte range', async () => {
      await alice.upload('range.txt', '0123456789');
      const part = await alice.download('range.txt', { range: 'bytes=2-5' });
      expect(part.contentLength).toBe(4);
      expect(part.contentRange).toBe('bytes 2-5/10');
      expect((await readAll(part.body)).toString()).toBe('2345');
    });
  });

  describe('cancelling and conditional uploads', () => {
    it('cancels a multipart upload through its AbortSignal: Aborted, and no object', async () => {
      const controller = new AbortController();
      const upload = alice.upload('cancelled/big.bin', slowSource(randomBytes(16 * MIB), 150, 'cancelled'), {
        signal: controller.signal,
        onProgress: (event) => {
          if (event.loadedBytes >= SMALL_PARTS.partSize) controller.abort();
        },
      });
      const error = await expectStorageError(upload, 'Aborted');
      expect(error.message).toContain('cancelled/big.bin');
      await expectStorageError(alice.download('cancelled/big.bin'), 'NotFound');
    });

    it('cancels single-request and streamed uploads', async () => {
      await expectStorageError(alice.upload('cancelled/small.txt', 'never', { signal: AbortSignal.abort() }), 'Aborted');
      const controller = new AbortController();
      const endless = new ReadableStream<Uint8Array>({
        async pull(stream) {
          await sleep(5);
          stream.enqueue(new Uint8Array(256 * 1024));
        },
      });
      setTimeout(() => controller.abort(), 300);
      await expectStorageError(alice.upload('cancelled/stream.bin', endless, { signal: controller.signal }), 'Aborted');
      await expectStorageError(alice.download('cancelled/small.txt'), 'NotFound');
      await expectStorageError(alice.download('cancelled/stream.bin'), 'NotFound');
    });

    it('refuses to overwrite with ifNoneMatch: AlreadyExists on the second upload (single and multipart)', async () => {
      await alice.upload('once.txt', 'first', { ifNoneMatch: true });
      await expectStorageError(alice.upload('once.txt', 'second', { ifNoneMatch: true }), 'AlreadyExists');
      expect((await readAll((await alice.download('once.txt')).body)).toString()).toBe('first');

      const big = randomBytes(7 * MIB);
      await alice.upload('once-big.bin', big, { ifNoneMatch: true });
      await expectStorageError(alice.upload('once-big.bin', randomBytes(7 * MIB), { ifNoneMatch: true }), 'AlreadyExists');
      expect((await readAll((await alice.download('once-big.bin')).body)).equals(big)).toBe(true);
    });
  });

  describe('list, remove, share', () => {
    it('lists the own files page by page, with keys relative to the own folder', async () => {
      for (const name of ['a', 'b', 'c', 'd', 'e']) await alice.upload(`paged/${name}.txt`, name);
      await bob.upload('paged/bobs.txt', 'bob');
      const counts = countCommands(alice);
      const listed = [];
      for await (const object of alice.list({ prefix: 'paged/', pageSize: 2 })) listed.push(object);
      expect(listed.map((object) => object.key)).toEqual(['paged/a.txt', 'paged/b.txt', 'paged/c.txt', 'paged/d.txt', 'paged/e.txt']);
      expect(listed[0]).toMatchObject({ size: 1, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
      expect(counts.get('ListObjectsV2Command')).toBe(3);
      const all = [];
      for await (const object of alice.list()) all.push(object.key);
      expect(all).toContain('paged/a.txt');
      expect(all).not.toContain('paged/bobs.txt');
    });

    it('removes one object, and many with a per-key report', async () => {
      await alice.upload('remove/one.txt', '1');
      expect(await alice.remove('remove/one.txt')).toEqual({ deleted: ['remove/one.txt'], failed: [] });
      await expectStorageError(alice.download('remove/one.txt'), 'NotFound');
      await Promise.all(['x', 'y', 'z'].map((name) => alice.upload(`remove/${name}.txt`, name)));
      const result = await alice.remove(['remove/x.txt', 'remove/y.txt', 'remove/z.txt']);
      expect(result.deleted.sort()).toEqual(['remove/x.txt', 'remove/y.txt', 'remove/z.txt']);
      expect(result.failed).toEqual([]);
      const left = [];
      for await (const object of alice.list({ prefix: 'remove/' })) left.push(object.key);
      expect(left).toEqual([]);
    });

    it('shares a link anyone can open, capped at the credentials\' expiry when asked for longer', async () => {
      await alice.upload('shared/photo.txt', 'look at this');
      const link = await alice.share('shared/photo.txt', { expiresInSeconds: 600 });
      expect(link.cappedByCredentials).toBe(false);
      expect(link.expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
      const fetched = await main.fetchAnonymously(link.url);
      expect(fetched.status).toBe(200);
      expect(fetched.body.toString()).toBe('look at this');

      const { credentialsExpireAt } = await alice.whoami();
      const long = await alice.share('shared/photo.txt', { expiresInSeconds: 7200 });
      expect(long.cappedByCredentials).toBe(true);
      expect(long.expiresAt.getTime()).toBeLessThanOrEqual(credentialsExpireAt.getTime());
      expect((await main.fetchAnonymously(long.url)).status).toBe(200);
      // A tampered link is refused.
      expect((await main.fetchAnonymously(link.url.replace('photo.txt', 'other.txt'))).status).toBe(403);
    });
  });

  describe('typed errors', () => {
    it('AccessDenied on another identity\'s key (through the raw S3 client; the library never builds one)', async () => {
      const bobs = await bob.whoami();
      await bob.upload('private.txt', 'bob only');
      const { bucket } = JSON.parse(await readFile(main.outputsPath, 'utf8')) as { bucket: string };
      const raw = await alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${bobs.prefix}private.txt` })).catch((error: unknown) => error);
      const error = toStorageError(raw, 'reading bob\'s file');
      expect(error.code).toBe('AccessDenied');
      expect(error.status).toBe(403);
      const write = await alice.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${bobs.prefix}private.txt`, Body: 'overwritten' })).catch((caught: unknown) => caught);
      expect(toStorageError(write, 'writing bob\'s file').code).toBe('AccessDenied');
      expect((await readAll((await bob.download('private.txt')).body)).toString()).toBe('bob only');
    });

    it('NotFound with a plain message for a missing own key (S3 itself answers 403 there)', async () => {
      const download = await expectStorageError(alice.download('no/such/file.txt'), 'NotFound');
      expect(download.message).toBe('Not found: download of no/such/file.txt.');
      expect(download.status).toBe(403);
      const share = await expectStorageError(alice.share('no/such/file.txt'), 'NotFound');
      expect(share.message).toContain('no/such/file.txt');
    });

    it('InvalidKey for keys that would leave the own folder, before any request', async () => {
      for (const key of ['../x', 'a/../../x', '/etc/passwd', '', 'a/./b', 'bad\u0000key']) {
        await expectStorageError(alice.upload(key, 'x'), 'InvalidKey');
      }
      await expectStorageError(alice.download('../x'), 'InvalidKey');
      await expectStorageError(alice.share('../x'), 'InvalidKey');
      await expectStorageError(alice.remove(['ok.txt', '../x']), 'InvalidKey');
      await expectStorageError((async () => {
        for await (const object of alice.list({ prefix: '../' })) void object;
      })(), 'InvalidKey');
    });

    it('SignInRequired without a session, or with one the token service does not accept', async () => {
      const signedOut = await createNodeStorageClient(main.outputsPath, { getSessionToken: () => '' });
      await expectStorageError(signedOut.whoami(), 'SignInRequired');
      await expectStorageError(signedOut.upload('x.txt', 'x'), 'SignInRequired');
      const forged = await createNodeStorageClient(main.outputsPath, { getSessionToken: () => 'not-a-session-token' });
      const error = await expectStorageError(forged.whoami(), 'SignInRequired');
      expect(error.status).toBe(401);
    });
  });

  describe('credentials', () => {
    it('concurrent callers on a fresh client share one token request and one exchange', async () => {
      let tokenRequests = 0;
      const sessionToken = await main.sessionFor('carol');
      const client = await createNodeStorageClient(main.outputsPath, {
        getSessionToken: () => sessionToken,
        fetch: (input, init) => {
          tokenRequests += 1;
          return fetch(input, init);
        },
      });
      const identities = await Promise.all(Array.from({ length: 20 }, () => client.whoami()));
      expect(new Set(identities.map((identity) => identity.identityId)).size).toBe(1);
      expect(tokenRequests).toBe(1);
      expect(client.credentials.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
      await Promise.all(Array.from({ length: 5 }, (_, index) => client.upload(`burst-${index}.txt`, 'x')));
      expect(client.credentials.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
    });

    it('resumes an interrupted upload from a file resume store: fewer parts sent, same content', async () => {
      const bytes = randomBytes(4 * SMALL_PARTS.partSize + 1000);
      const path = join(workDirectory, 'resumable.bin');
      await writeFile(path, bytes);
      const storePath = join(workDirectory, 'uploads.json');
      const crashing = await main.clientFor('dora', { ...SMALL_PARTS, concurrency: 1, resumeStore: new FileResumeStore(storePath) });
      // The process stops mid-upload: the task pauses (the part in flight is aborted) and is never resumed.
      const interrupted = crashing.startUpload('resumable.bin', await fileSource(path));
      const paused = new Promise<void>((resolve) => interrupted.onStateChange((state) => state === 'paused' && resolve()));
      interrupted.onProgress((event) => {
        if (event.loadedBytes >= 2 * SMALL_PARTS.partSize) interrupted.pause();
      });
      await paused;
      const remembered = JSON.parse(await readFile(storePath, 'utf8')) as Record<string, { uploadId: string }>;
      expect(Object.keys(remembered)).toHaveLength(1);

      // A new process: new client, new session, the same store and file.
      const resuming = await main.clientFor('dora', { ...SMALL_PARTS, concurrency: 1, resumeStore: new FileResumeStore(storePath) });
      const counts = countCommands(resuming);
      const progress: UploadTaskProgress[] = [];
      const result = await resuming.upload('resumable.bin', await fileSource(path), { onProgress: (event) => progress.push(event) });
      expect(result.resumed).toBe(true);
      const partsSent = counts.get('UploadPartCommand') ?? 0;
      expect(partsSent).toBeGreaterThanOrEqual(3);
      expect(partsSent).toBeLessThan(5);
      expect(counts.get('CreateMultipartUploadCommand')).toBeUndefined();
      expect(progress[0]).toEqual({ loadedBytes: (5 - partsSent) * SMALL_PARTS.partSize, totalBytes: bytes.length });
      expect(result.etag).toBe(multipartEtag(bytes, SMALL_PARTS.partSize));
      expect((await readAll((await resuming.download('resumable.bin')).body)).equals(bytes)).toBe(true);
      expect(JSON.parse(await readFile(storePath, 'utf8'))).toEqual({});
    });
  });
});

describe('client library with short-lived credentials', () => {
  const CREDENTIALS_LIFETIME_SECONDS = 8;
  let main: MainJobFixture;

  beforeAll(async () => {
    main = await startMainJobFixture({ credentialsLifetimeSeconds: CREDENTIALS_LIFETIME_SECONDS });
  });
  afterAll(() => main?.close());

  it('refreshes credentials in the middle of a multipart upload, reusing the OpenID token', async () => {
    const client = await main.clientFor('erin', { ...SMALL_PARTS, concurrency: 1 });
    const bytes = randomBytes(6 * SMALL_PARTS.partSize);
    // Over a second per part: the upload outlives the first credentials.
    const result = await client.upload('long/upload.bin', slowSource(bytes, 1300, 'long'));
    expect(result.etag).toBe(multipartEtag(bytes, SMALL_PARTS.partSize));
    expect(client.credentials.counts.credentialExchanges).toBeGreaterThan(1);
    expect(client.credentials.counts.tokenRequests).toBe(1);
    expect((await readAll((await client.download('long/upload.bin')).body)).equals(bytes)).toBe(true);
  });

  it('reuses 8 s credentials for their first three quarters: requests then make no new exchange', async () => {
    // The S3 client's own memoization refreshes within a fixed 5 minutes of expiry: credentials that
    // live 8 s would be exchanged again on every request. The provider's margin is a quarter of the lifetime.
    const client = await main.clientFor('erin');
    const { credentialsExpireAt } = await client.whoami();
    for (let index = 0; index < 10 && credentialsExpireAt.getTime() - Date.now() > 3000; index += 1) await client.upload(`quick-${index}.txt`, 'x');
    await Promise.all(Array.from({ length: 10 }, () => client.whoami()));
    expect(client.credentials.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
  });

  it('caps share links at the credentials\' short life', async () => {
    const client = await main.clientFor('erin');
    await client.upload('brief.txt', 'brief');
    const link = await client.share('brief.txt', { expiresInSeconds: 3600 });
    expect(link.cappedByCredentials).toBe(true);
    expect(link.expiresAt.getTime()).toBeLessThan(Date.now() + CREDENTIALS_LIFETIME_SECONDS * 1000);
    expect((await main.fetchAnonymously(link.url)).status).toBe(200);
  });
});
