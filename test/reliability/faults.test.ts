import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListObjectsV2Command, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScopedStorageClient, StorageError, parseStorageOutputs, type ScopedStorageClientOptions } from '../../app/library/index.ts';
import { createNodeRequestHandler, createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { FileResumeStore } from '../../app/library/node/file-resume-store.ts';
import { fileSource } from '../../app/library/node/file-source.ts';
import { startLocalCloud, type RunningLocalCloud } from '../../infra/local/local-cloud.ts';
import { createTokenServiceCognitoClient } from '../../infra/local/token-service-cognito-client.ts';
import { startTokenServiceServer, type RunningTokenService } from '../../token-service/adapters/node-server.ts';
import { createDevelopmentAuthenticator } from '../../token-service/authenticators/development-authenticator.ts';
import { developmentSession, spawnMainJob, type BenchProcess } from '../bench/bench-processes.ts';
import {
  MIB,
  encodeKeyPath,
  freePort,
  md5Etag,
  multipartEtag,
  readAll,
  sendRaw,
  signRequest,
  sleep,
  slowSource,
  temporaryFilesUnder,
} from './reliability-helpers.ts';

const SMALL_PARTS = { partSize: 5 * MIB, multipartThreshold: 6 * MIB } as const;

const counts = { faultsInjected: 0, requests: 0, lostObjects: 0, partialObjectsSeen: 0 };

/** Counts every S3 request a client sends (retries included). */
function countRequests(s3: S3Client): void {
  s3.middlewareStack.add(
    (next) => async (args) => {
      counts.requests += 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'reliabilityRequestCounter' },
  );
}

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

afterAll(() => {
  console.log(`[fault suite] faults injected: ${counts.faultsInjected}, requests: ${counts.requests}, lost objects: ${counts.lostObjects}, partial objects seen: ${counts.partialObjectsSeen}`);
  expect(counts.lostObjects).toBe(0);
  expect(counts.partialObjectsSeen).toBe(0);
});

/** The main job in a child process, so the cloud can be SIGKILLed and restarted over the same state. */
describe('faults of the main job in a child process (credentials lifetime 4 s)', () => {
  let stateDirectory: string;
  let workDirectory: string;
  let cloudPort: number;
  let job: BenchProcess & { outputsPath: string };
  const environment = () => ({ LOCAL_CLOUD_CREDENTIALS_LIFETIME: '4', LOCAL_CLOUD_PORT: String(cloudPort) });
  const tokenServiceUrl = async () => (JSON.parse(await readFile(job.outputsPath, 'utf8')) as { tokenServiceUrl: string }).tokenServiceUrl;
  const clientFor = async (user: string, options: Omit<ScopedStorageClientOptions, 'outputs' | 'requestHandler' | 'getSessionToken'> = {}) => {
    const session = await developmentSession(await tokenServiceUrl(), user);
    const client = await createNodeStorageClient(job.outputsPath, { ...options, getSessionToken: () => session });
    countRequests(client.s3);
    return client;
  };

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'reliability-faults-'));
    workDirectory = await mkdtemp(join(tmpdir(), 'reliability-files-'));
    cloudPort = await freePort();
    job = await spawnMainJob(stateDirectory, environment());
  });
  afterAll(async () => {
    await job?.stop();
    await rm(stateDirectory, { recursive: true, force: true });
    await rm(workDirectory, { recursive: true, force: true });
  });

  it('(a) a ~40 MiB upload outlives several credential lifetimes and completes with the right ETag', async () => {
    const client = await clientFor('ada', { ...SMALL_PARTS, concurrency: 1 });
    const bytes = randomBytes(40 * MIB);
    // 8 parts, each read taking 0.9 s: about 8 s of upload against 4 s credentials.
    const result = await client.upload('long/forty.bin', slowSource(bytes, 900, 'forty'));
    counts.faultsInjected += 1;
    expect(result.etag).toBe(multipartEtag(bytes, SMALL_PARTS.partSize));
    console.log(`[fault suite] 40 MiB upload against 4 s credentials: ${client.credentials.counts.credentialExchanges} credential exchanges, ${client.credentials.counts.tokenRequests} token requests`);
    expect(client.credentials.counts.credentialExchanges).toBeGreaterThan(1);
    const downloaded = await readAll((await client.download('long/forty.bin')).body);
    if (!downloaded.equals(bytes)) counts.lostObjects += 1;
    expect(downloaded.equals(bytes)).toBe(true);
  });

  it('(b) SIGKILL of the cloud mid-upload, restart over the same state: the upload resumes, and no partial object is ever visible', async () => {
    const bytes = randomBytes(40 * MIB);
    const path = join(workDirectory, 'killed.bin');
    await writeFile(path, bytes);
    const storePath = join(workDirectory, 'resume.json');
    const key = 'killed/upload.bin';
    const expectedEtag = multipartEtag(bytes, SMALL_PARTS.partSize);

    // Another client of the same identity watches the key through the kill and the restart (a new
    // watcher after the restart: the token service comes back on another port).
    const bucket = (JSON.parse(await readFile(job.outputsPath, 'utf8')) as { bucket: string }).bucket;
    let watcher = await clientFor('bea');
    const { prefix } = await watcher.whoami();
    const fullKey = `${prefix}${key}`;
    const sightings: { size: number | undefined; etag: string | undefined; how: string }[] = [];
    let watching = true;
    let phase: 'before' | 'down' | 'after' = 'before';
    const answered = { before: 0, down: 0, after: 0 };
    const watch = (async () => {
      while (watching) {
        const head = await settle(watcher.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey })));
        if (head.value) sightings.push({ size: head.value.ContentLength, etag: head.value.ETag, how: 'HeadObject' });
        const listing = await settle(watcher.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}killed/` })));
        if (listing.value) answered[phase] += 1;
        for (const object of listing.value?.Contents ?? []) sightings.push({ size: object.Size, etag: object.ETag, how: 'ListObjectsV2' });
        await sleep(25);
      }
    })();

    // The first client is slow (0.4 s a part) and the cloud dies under it after three parts.
    const first = await clientFor('bea', { ...SMALL_PARTS, concurrency: 1, resumeStore: new FileResumeStore(storePath) });
    let killed = false;
    const source = await fileSource(path);
    const slow = {
      ...source,
      read: async (start: number, end: number, into?: Uint8Array) => {
        await sleep(400);
        return source.read(start, end, into);
      },
    };
    const interrupted = first.upload(key, slow, {
      onProgress: (progress) => {
        if (!killed && progress.loadedBytes >= 3 * SMALL_PARTS.partSize) {
          killed = true;
          phase = 'down';
          job.child.kill('SIGKILL');
          counts.faultsInjected += 1;
        }
      },
    });
    const failure = await settle(interrupted);
    expect(killed).toBe(true);
    expect(failure.error).toBeInstanceOf(StorageError);
    expect(Object.keys(JSON.parse(await readFile(storePath, 'utf8')) as object)).toHaveLength(1);
    await new Promise<void>((resolve) => (job.child.exitCode !== null || job.child.signalCode !== null ? resolve() : job.child.once('exit', () => resolve())));

    // Restart over the same state directory and port; a new client (a new process) resumes from the same store.
    await rm(job.outputsPath, { force: true });
    job = await spawnMainJob(stateDirectory, environment());
    watcher = await clientFor('bea');
    phase = 'after';
    const second = await clientFor('bea', { ...SMALL_PARTS, concurrency: 2, resumeStore: new FileResumeStore(storePath) });
    const result = await second.upload(key, await fileSource(path));
    watching = false;
    await watch;
    expect(result.resumed).toBe(true);
    expect(result.etag).toBe(expectedEtag);
    const downloaded = await readAll((await second.download(key)).body);
    if (!downloaded.equals(bytes)) counts.lostObjects += 1;
    expect(downloaded.equals(bytes)).toBe(true);
    expect(JSON.parse(await readFile(storePath, 'utf8'))).toEqual({});

    const partial = sightings.filter((sighting) => sighting.size !== bytes.length || sighting.etag !== expectedEtag);
    counts.partialObjectsSeen += partial.length;
    console.log(`[fault suite] kill and restart: watcher answers before ${answered.before}, while down ${answered.down}, after ${answered.after}; sightings ${sightings.length}, partial ${partial.length}`);
    expect(answered.before).toBeGreaterThan(0);
    expect(answered.after).toBeGreaterThan(0);
    expect(partial).toEqual([]);
  });
});

/** The local cloud and a token service in this process, on fixed ports, so the token service can go down and come back. */
describe('faults around the token service and concurrent writers (in process)', () => {
  let stateDirectory: string;
  let cloud: RunningLocalCloud;
  let tokenService: RunningTokenService | undefined;
  let tokenServicePort: number;
  let tokenServiceUrl: string;
  const developmentSecret = randomBytes(32);

  /** Tokens of 3 s (never cached: the cache margin is longer), so every credentials refresh asks the token service. */
  const startTokenService = async () => {
    tokenService = await startTokenServiceServer({
      port: tokenServicePort,
      cognito: await createTokenServiceCognitoClient(cloud),
      identityPoolId: cloud.outputs.identityPoolId,
      developerProviderName: cloud.outputs.developerProviderName,
      tokenDurationSeconds: 3,
      authenticator: createDevelopmentAuthenticator({ secret: developmentSecret }),
      logSink: () => undefined,
    });
    tokenServiceUrl = tokenService.url;
  };
  const clientFor = async (user: string, options: Partial<ScopedStorageClientOptions> = {}) => {
    const session = await developmentSession(tokenServiceUrl, user);
    const outputs = parseStorageOutputs({ ...cloud.outputs, tokenServiceUrl });
    const client = new ScopedStorageClient({ outputs, getSessionToken: () => session, requestHandler: await createNodeRequestHandler(outputs), ...options });
    countRequests(client.s3);
    return client;
  };

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'reliability-inprocess-'));
    cloud = await startLocalCloud({ stateDirectory, credentialsLifetimeSeconds: 4 });
    tokenServicePort = await freePort();
    await startTokenService();
  });
  afterAll(async () => {
    await tokenService?.close();
    await cloud?.close();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('(c) token service down during a refresh: retries, then a clear Network error; back on the same port, it works again', async () => {
    let attempts = 0;
    const countingFetch: typeof fetch = (input, init) => {
      attempts += 1;
      return fetch(input, init);
    };
    const client = await clientFor('cyd', { fetch: countingFetch });
    const { credentialsExpireAt } = await client.whoami();
    expect(attempts).toBe(1);

    await tokenService!.close();
    tokenService = undefined;
    counts.faultsInjected += 1;
    // Wait until the credentials are due for refresh (a quarter of their 4 s life before expiry); the 3 s token has run out too.
    await sleep(Math.max(0, credentialsExpireAt.getTime() - Date.now() - 500));
    const before = attempts;
    const down = await settle(client.upload('while-down.txt', 'never stored'));
    expect(down.error).toBeInstanceOf(StorageError);
    const error = down.error as StorageError;
    expect(error.code).toBe('Network');
    expect(error.message).toMatch(/gave up after \d+ attempts/);
    expect(attempts - before).toBeGreaterThan(1);
    console.log(`[fault suite] token service down: ${attempts - before} attempts, then: ${error.message}`);

    await startTokenService();
    expect(tokenServiceUrl).toBe(`http://127.0.0.1:${tokenServicePort}`);
    const result = await client.upload('after.txt', 'back again');
    expect(result.etag).toBe(md5Etag(Buffer.from('back again')));
    expect(await (await client.download('after.txt')).body.getReader().read().then(({ value }) => Buffer.from(value!).toString())).toBe('back again');

    // Down again, and back while the client is still retrying: the refresh succeeds after more than one attempt.
    const { credentialsExpireAt: nextExpiry } = await client.whoami();
    await tokenService!.close();
    tokenService = undefined;
    counts.faultsInjected += 1;
    await sleep(Math.max(0, nextExpiry.getTime() - Date.now() - 500));
    const beforeRecovery = attempts;
    const recovering = client.upload('recovered.txt', 'recovered');
    await sleep(400);
    await startTokenService();
    expect((await recovering).etag).toBe(md5Etag(Buffer.from('recovered')));
    expect(attempts - beforeRecovery).toBeGreaterThan(1);
    const keys: string[] = [];
    for await (const object of client.list()) keys.push(object.key);
    expect(keys.sort()).toEqual(['after.txt', 'recovered.txt']);
  });

  it('(d) two clients of one identity writing one key at once: one whole body wins; with ifNoneMatch exactly one succeeds', async () => {
    const one = await clientFor('dee', SMALL_PARTS);
    const two = await clientFor('dee', SMALL_PARTS);
    expect((await one.whoami()).identityId).toBe((await two.whoami()).identityId);

    for (const [size, rounds] of [
      [256 * 1024, 12],
      [12 * MIB, 2],
    ] as const) {
      for (let round = 0; round < rounds; round += 1) {
        const bodyOne = randomBytes(size);
        const bodyTwo = randomBytes(size);
        const key = `race/overwrite-${size}-${round}.bin`;
        const results = await Promise.allSettled([one.upload(key, bodyOne), two.upload(key, bodyTwo)]);
        counts.faultsInjected += 1;
        expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
        const stored = await readAll((await one.download(key)).body);
        const whole = stored.equals(bodyOne) || stored.equals(bodyTwo);
        if (!whole) counts.lostObjects += 1;
        expect(whole, `round ${round} of ${size} bytes: a mix of both bodies`).toBe(true);
      }
      for (let round = 0; round < rounds; round += 1) {
        const key = `race/once-${size}-${round}.bin`;
        const bodies = [randomBytes(size), randomBytes(size)];
        const results = await Promise.allSettled([one.upload(key, bodies[0]!, { ifNoneMatch: true }), two.upload(key, bodies[1]!, { ifNoneMatch: true })]);
        counts.faultsInjected += 1;
        const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
        expect(winners).toHaveLength(1);
        const loser = results.find((result) => result.status === 'rejected');
        expect(loser?.reason).toBeInstanceOf(StorageError);
        expect((loser?.reason as StorageError).code).toBe('AlreadyExists');
        const stored = await readAll((await two.download(key)).body);
        if (!stored.equals(bodies[winners[0]!]!)) counts.lostObjects += 1;
        expect(stored.equals(bodies[winners[0]!]!)).toBe(true);
      }
    }
  });

  it('(e) a client that disconnects mid-request: no object, no temporary file, and the server serves the next request', async () => {
    const client = await clientFor('eve');
    const credentials = await client.credentials.get();
    const ca = await readFile(cloud.caCertificatePath);
    const dataDirectory = join(stateDirectory, 'data');
    const declared = 2 * MIB;
    const body = randomBytes(declared);

    const cutPut = async (key: string, sendBytes: number, extraHeaders: Record<string, string> = {}, query = '') => {
      const path = encodeKeyPath(cloud.outputs.bucket, key);
      const queryObject = Object.fromEntries(new URLSearchParams(query));
      const headers = await signRequest(credentials, {
        endpoint: cloud.httpsEndpoint,
        service: 's3',
        region: cloud.outputs.region,
        method: 'PUT',
        path,
        query: queryObject,
        headers: { 'content-length': String(declared), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...extraHeaders },
      });
      counts.requests += 1;
      counts.faultsInjected += 1;
      return sendRaw({ url: cloud.httpsEndpoint, method: 'PUT', path: query ? `${path}?${query}` : path, headers, body, cutAfterBytes: sendBytes, ca });
    };

    const prefix = `users/${credentials.identityId}/`;
    for (const [name, sendBytes] of [
      ['nothing', 0],
      ['half', declared / 2],
      ['all-but-one', declared - 1],
    ] as const) {
      expect(await cutPut(`${prefix}cut/${name}.bin`, sendBytes)).toBe('cut');
    }
    // An UploadPart cut short, on a real upload.
    const upload = await client.s3.send(new CreateMultipartUploadCommand({ Bucket: cloud.outputs.bucket, Key: `${prefix}cut/part.bin` }));
    expect(await cutPut(`${prefix}cut/part.bin`, declared / 2, {}, `partNumber=1&uploadId=${encodeURIComponent(upload.UploadId!)}`)).toBe('cut');

    // The server notices the cut connections; temporary files go with them.
    let leftovers: string[] = [];
    for (let wait = 0; wait < 40; wait += 1) {
      leftovers = await temporaryFilesUnder(dataDirectory);
      if (leftovers.length === 0) break;
      await sleep(50);
    }
    expect(leftovers).toEqual([]);

    const listed: string[] = [];
    for await (const object of client.list({ prefix: 'cut/' })) listed.push(object.key);
    expect(listed).toEqual([]);
    const parts = await client.s3.send(new ListPartsCommand({ Bucket: cloud.outputs.bucket, Key: `${prefix}cut/part.bin`, UploadId: upload.UploadId! }));
    expect(parts.Parts ?? []).toEqual([]);

    // The next request is fine.
    const after = await client.upload('cut/after.bin', body);
    expect(after.etag).toBe(md5Etag(body));
    const downloaded = await readAll((await client.download('cut/after.bin')).body);
    if (!downloaded.equals(body)) counts.lostObjects += 1;
    expect(downloaded.equals(body)).toBe(true);
  });
});
