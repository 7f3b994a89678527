import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryResumeStore, type ResumeRecord } from '../../../app/library/resume-store.ts';
import { startUploadTask, type StartUploadTaskParameters, type UploadTask, type UploadTaskProgress, type UploadTaskState } from '../../../app/library/upload-task.ts';
import { bytesSource } from '../../../app/library/upload-source.ts';
import { BUCKET, ownPrefixOnly, s3Client, startLocalS3, type LocalS3, type TestIdentity } from '../local-s3/local-s3-fixture.ts';

const PART_SIZE = 10;
/** The local S3 takes parts of any size (minPartBytes 1); the planner is told so, with S3's other limits. */
const SMALL_PARTS = { minPartSize: 1, maxPartSize: 5 * 1024 ** 3, maxParts: 10_000, maxObjectSize: 5 * 1024 ** 4, partSizeStep: 1 };

type AuthorizationRequest = Parameters<typeof ownPrefixOnly>[0];

interface SentCommand {
  name: string;
  input: Record<string, unknown>;
  /** The request body, copied when sent. */
  body?: Uint8Array;
  output?: Record<string, unknown>;
  failed?: string;
}

/** A real S3 client whose SDK middleware records each command and how many are in flight, and calls `onSend` before one goes out. */
function observedClient(client: S3Client, onSend?: (command: SentCommand) => void) {
  const sent: SentCommand[] = [];
  const flight = { now: 0, max: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command: SentCommand = { name: String(context.commandName).replace(/Command$/, ''), input: { ...input } };
      if (input.Body instanceof Uint8Array) command.body = input.Body.slice();
      sent.push(command);
      flight.now += 1;
      flight.max = Math.max(flight.max, flight.now);
      onSend?.(command);
      try {
        const result = await next(args);
        command.output = { ...result.output } as Record<string, unknown>;
        return result;
      } catch (error) {
        command.failed = (error as Error).name;
        throw error;
      } finally {
        flight.now -= 1;
      }
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
  const named = (name: string) => sent.filter((command) => command.name === name);
  return {
    client,
    sent,
    flight,
    names: () => sent.map((command) => command.name),
    /** Part numbers S3 accepted, in the order the answers came. */
    acceptedParts: () => named('UploadPart').filter((command) => command.output).map((command) => command.input.PartNumber as number),
    /** The parts S3 accepted, by part number, with their bytes. */
    partBodies: () =>
      named('UploadPart')
        .filter((command) => command.output)
        .map((command) => ({ partNumber: command.input.PartNumber as number, bytes: [...command.body!] }))
        .sort((a, b) => a.partNumber - b.partNumber),
    /** Part numbers sent, in the order they went out. */
    sentParts: () => named('UploadPart').map((command) => command.input.PartNumber as number),
    uploadIds: () => named('CreateMultipartUpload').map((command) => command.output?.UploadId as string),
    aborted: () => named('AbortMultipartUpload').map((command) => command.input.UploadId as string),
    completions: () => named('CompleteMultipartUpload').map((command) => (command.input.MultipartUpload as { Parts: Array<Record<string, unknown>> }).Parts),
    listMarkers: () => named('ListParts').map((command) => command.input.PartNumberMarker),
  };
}

const content = (size: number) => Uint8Array.from({ length: size }, (_, index) => (index * 7) % 251);

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & { code?: string },
  );
}

/** Resolves when the task reaches `state`. */
function reaching(task: UploadTask, state: UploadTaskState): Promise<void> {
  if (task.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = task.onStateChange((now) => {
      if (now !== state) return;
      stop();
      resolve();
    });
  });
}

/** Resolves once `condition` holds, checked after each turn of the event loop. */
function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setImmediate(check));
    check();
  });
}

async function eventLoopTurns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

let s3: LocalS3;
/** When set, the IAM engine behind the local S3 fails (answered as 500 InternalError). */
let iamFailure: Error | undefined;
const internalErrors: unknown[] = [];
/** When set, the server awaits it while authorizing each request, before acting on it. */
let whileAuthorizing: ((request: AuthorizationRequest) => Promise<void>) | undefined;
let keys = 0;

beforeAll(async () => {
  s3 = await startLocalS3({
    limits: { minPartBytes: 1 },
    authorize: async (request) => {
      await whileAuthorizing?.(request);
      if (iamFailure) throw iamFailure;
      return ownPrefixOnly(request);
    },
    onInternalError: (error) => internalErrors.push(error),
  });
});

afterAll(async () => {
  await s3.close();
});

function newKey(): string {
  keys += 1;
  return `${s3.alice.prefix}task-${keys}.bin`;
}

/** A fresh observed client of alice's (or `who`'s). */
function observedS3(onSend?: (command: SentCommand) => void, who: TestIdentity = s3.alice) {
  return observedClient(s3Client(s3.endpoint, who.credentials), onSend);
}

function parameters(client: S3Client, key: string, body: StartUploadTaskParameters['body'], options: Partial<StartUploadTaskParameters> = {}): StartUploadTaskParameters {
  return { s3: client, bucket: BUCKET, fullKey: key, displayKey: key.slice(s3.alice.prefix.length), body, partSize: PART_SIZE, concurrency: 1, multipartThreshold: PART_SIZE, partLimits: SMALL_PARTS, ...options };
}

async function storedBytes(key: string): Promise<Uint8Array> {
  const object = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return object.Body!.transformToByteArray();
}

async function listPartsError(key: string, uploadId: string): Promise<string | undefined> {
  return s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })).then(
    () => undefined,
    (error: Error) => error.name,
  );
}

/** Whether S3 lists an object at `key`. */
async function objectExists(key: string): Promise<boolean> {
  const listing = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }));
  return (listing.Contents ?? []).some((object) => object.Key === key);
}

/**
 * The uploads S3 still has open at `key` once a request the client dropped has had its chance to
 * finish on the server: asked a few times, each a full round trip through the server.
 */
async function uploadsLeftOpen(key: string): Promise<string[]> {
  for (let look = 1; ; look += 1) {
    const open = await openUploads(key);
    if (open.length > 0 || look === 5) return open;
    await eventLoopTurns(10);
  }
}

/** The multipart uploads S3 has open at `key` (ListMultipartUploads, as an admin would look). */
async function openUploads(key: string): Promise<string[]> {
  const listing = await s3.alice.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
  return (listing.Uploads ?? []).filter((upload) => upload.Key === key).map((upload) => upload.UploadId!);
}

describe('upload task: parts', () => {
  it('cuts the source into parts of partSize, the last one shorter, and completes them in part order', async () => {
    const key = newKey();
    const data = content(4 * PART_SIZE + 3);
    const observed = observedS3();
    const result = await startUploadTask(parameters(observed.client, key, bytesSource(data), { concurrency: 2 })).done;
    expect(result).toMatchObject({ size: data.length, resumed: false });
    expect(result.etag).toMatch(/^"[0-9a-f]{32}-5"$/);
    expect(observed.uploadIds()).toHaveLength(1);
    expect(observed.sent.find((command) => command.name === 'CreateMultipartUpload')!.input).toMatchObject({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC32' });
    const parts = observed.partBodies();
    expect(parts.map((part) => [part.partNumber, part.bytes.length])).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
      [4, 10],
      [5, 3],
    ]);
    expect(parts.flatMap((part) => part.bytes)).toEqual([...data]);
    const answers = new Map(observed.sent.filter((command) => command.name === 'UploadPart').map((command) => [command.input.PartNumber, command.output!]));
    expect(observed.completions()).toEqual([[1, 2, 3, 4, 5].map((n) => ({ PartNumber: n, ETag: answers.get(n)!.ETag, ChecksumCRC32: answers.get(n)!.ChecksumCRC32 }))]);
    expect(observed.sent.find((command) => command.name === 'CompleteMultipartUpload')!.input.IfNoneMatch).toBeUndefined();
    expect([...(await storedBytes(key))]).toEqual([...data]);
  });

  it('sends a size that is a multiple of partSize as full parts only', async () => {
    const observed = observedS3();
    await startUploadTask(parameters(observed.client, newKey(), bytesSource(content(3 * PART_SIZE)), { concurrency: 2 })).done;
    expect(observed.partBodies().map((part) => part.bytes.length)).toEqual([10, 10, 10]);
  });

  it('sends a source up to the multipart threshold, an empty one too, as one PutObject', async () => {
    for (const size of [0, PART_SIZE]) {
      const key = newKey();
      const observed = observedS3();
      const result = await startUploadTask(parameters(observed.client, key, bytesSource(content(size)))).done;
      expect(result).toMatchObject({ size, resumed: false });
      expect(observed.names()).toEqual(['PutObject']);
      expect([...(await storedBytes(key))]).toEqual([...content(size)]);
    }
  });

  it('keeps at most `concurrency` parts in flight', async () => {
    const three = observedS3();
    await startUploadTask(parameters(three.client, newKey(), bytesSource(content(12 * PART_SIZE)), { concurrency: 3 })).done;
    expect(three.flight.max).toBe(3);
    const one = observedS3();
    await startUploadTask(parameters(one.client, newKey(), bytesSource(content(5 * PART_SIZE)), { concurrency: 1 })).done;
    expect(one.flight.max).toBe(1);
    expect(one.sentParts()).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports progress from zero to the whole size, through every part boundary, never backwards', async () => {
    const observed = observedS3();
    const task = startUploadTask(parameters(observed.client, newKey(), bytesSource(content(2 * PART_SIZE + 5))));
    expect(task.progress).toEqual({ loadedBytes: 0, totalBytes: 25 });
    const progress: UploadTaskProgress[] = [];
    task.onProgress((event) => progress.push(event));
    await task.done;
    const loaded = progress.map((event) => event.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(loaded).toEqual(expect.arrayContaining([10, 20, 25]));
    expect(loaded.at(-1)).toBe(25);
    expect(progress.every((event) => event.totalBytes === 25)).toBe(true);
  });
});

describe('upload task: pause and resume', () => {
  it('pausing aborts the part in flight and un-counts it; resuming sends only the parts S3 lacks, and the object is identical', async () => {
    const key = newKey();
    const data = content(6 * PART_SIZE + 4);
    const current: { task?: UploadTask } = {};
    let progressAtPause: UploadTaskProgress | undefined;
    const observed = observedS3((command) => {
      // Pause as part 3 goes out: it is aborted mid-flight.
      if (command.name === 'UploadPart' && command.input.PartNumber === 3 && current.task?.state === 'running' && !progressAtPause) {
        queueMicrotask(() => {
          current.task!.pause();
          progressAtPause = current.task!.progress;
        });
      }
    });
    const states: UploadTaskState[] = [];
    const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(data, 'big.bin'))));
    task.onStateChange((state) => states.push(state));
    await reaching(task, 'paused');
    // Wait until the aborted part 3 has come back (its request failed).
    await new Promise<void>((resolve) => {
      const check = () => (observed.sent.some((command) => command.input.PartNumber === 3 && command.failed) ? resolve() : setImmediate(check));
      check();
    });
    expect(progressAtPause).toEqual({ loadedBytes: 2 * PART_SIZE, totalBytes: data.length });
    expect(task.progress).toEqual({ loadedBytes: 2 * PART_SIZE, totalBytes: data.length });
    expect(observed.acceptedParts()).toEqual([1, 2]);
    const [uploadId] = observed.uploadIds();
    expect((await s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))).Parts?.map((part) => part.PartNumber)).toEqual([1, 2]);

    task.resume();
    const result = await task.done;
    expect(result).toMatchObject({ size: data.length, resumed: false });
    expect(states).toEqual(['paused', 'running', 'succeeded']);
    expect(observed.acceptedParts()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(observed.uploadIds()).toHaveLength(1);
    expect(observed.names()).not.toContain('ListParts');
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
    expect(task.progress).toEqual({ loadedBytes: data.length, totalBytes: data.length });
  });

  it('paused while S3 is creating the multipart upload, goes on with that upload when resumed', async () => {
    const key = newKey();
    const data = content(3 * PART_SIZE);
    const current: { task?: UploadTask } = {};
    const observed = observedS3();
    let pausedAtServer = false;
    whileAuthorizing = async (request) => {
      if (pausedAtServer || request.resource !== `arn:aws:s3:::${BUCKET}/${key}`) return;
      pausedAtServer = true;
      current.task!.pause();
      await Promise.race([until(() => observed.sent.some((command) => command.failed)), eventLoopTurns(10)]);
    };
    try {
      const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(data))));
      await reaching(task, 'paused');
      await until(() => observed.sent.some((command) => command.output || command.failed));
      expect(observed.sent.map((command) => [command.name, command.failed])).toEqual([['CreateMultipartUpload', undefined]]);
      task.resume();
      await task.done;
      expect(observed.uploadIds()).toHaveLength(1);
      expect(observed.acceptedParts()).toEqual([1, 2, 3]);
      expect(await uploadsLeftOpen(key)).toEqual([]);
      expect([...(await storedBytes(key))]).toEqual([...data]);
    } finally {
      whileAuthorizing = undefined;
    }
  });

  it('pauses a stream by not reading it, keeps its unsent parts, and finishes with the same bytes', async () => {
    const key = newKey();
    const data = content(5 * PART_SIZE + 3);
    const current: { task?: UploadTask } = {};
    let pulled = 0;
    let pulledAtPause = -1;
    async function* chunks() {
      for (let offset = 0; offset < data.length; offset += 7) {
        pulled += 1;
        yield data.subarray(offset, offset + 7);
      }
    }
    const observed = observedS3((command) => {
      if (command.name === 'UploadPart' && command.input.PartNumber === 2 && pulledAtPause < 0) {
        queueMicrotask(() => {
          current.task!.pause();
          pulledAtPause = pulled;
        });
      }
    });
    const task = (current.task = startUploadTask(parameters(observed.client, key, chunks())));
    await reaching(task, 'paused');
    await new Promise<void>((resolve) => {
      const check = () => (observed.sent.some((command) => command.input.PartNumber === 2 && command.failed) ? resolve() : setImmediate(check));
      check();
    });
    expect(pulled).toBe(pulledAtPause);
    expect(task.progress.totalBytes).toBeUndefined();
    task.resume();
    const result = await task.done;
    expect(result.size).toBe(data.length);
    expect(task.progress).toEqual({ loadedBytes: data.length, totalBytes: data.length });
    expect(observed.acceptedParts()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
  });

  it('sends a stream that fits in one part as one PutObject', async () => {
    const key = newKey();
    const observed = observedS3();
    async function* chunks() {
      yield content(4);
      yield content(3);
    }
    const result = await startUploadTask(parameters(observed.client, key, chunks())).done;
    expect(result).toMatchObject({ size: 7, resumed: false });
    expect(observed.names()).toEqual(['PutObject']);
    expect([...(await storedBytes(key))]).toEqual([...content(4), ...content(3)]);
  });
});

describe('upload task: cancel', () => {
  it('aborts the multipart upload on S3, forgets the resume record, and done rejects with Aborted', async () => {
    const key = newKey();
    const store = new MemoryResumeStore();
    const current: { task?: UploadTask } = {};
    const observed = observedS3((command) => {
      if (command.name === 'UploadPart' && command.input.PartNumber === 2) queueMicrotask(() => void current.task!.cancel());
    });
    const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(content(8 * PART_SIZE)), { resumeStore: store })));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'Aborted', message: `Cancelled: upload of ${key.slice(s3.alice.prefix.length)}.` });
    await task.cancel();
    expect(task.state).toBe('cancelled');
    expect(observed.sentParts()).toEqual([1, 2]);
    const [uploadId] = observed.uploadIds();
    expect(observed.aborted()).toEqual([uploadId]);
    expect(await listPartsError(key, uploadId!)).toBe('NoSuchUpload');
    expect(await openUploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });

  for (const how of ['cancel()', 'the signal'] as const) {
    it(`cancels a paused upload through ${how}: nothing more is sent, the upload is aborted on S3`, async () => {
      const key = newKey();
      const controller = new AbortController();
      const current: { task?: UploadTask } = {};
      const observed = observedS3((command) => {
        if (command.name === 'UploadPart' && command.input.PartNumber === 2) queueMicrotask(() => current.task!.pause());
      });
      const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(content(5 * PART_SIZE)), { signal: controller.signal })));
      await reaching(task, 'paused');
      const sentWhilePaused = observed.sent.length;
      if (how === 'cancel()') void task.cancel();
      else controller.abort();
      expect(task.state).toBe('cancelled');
      expect(await rejection(task.done)).toMatchObject({ code: 'Aborted' });
      await task.cancel();
      expect(observed.names().slice(sentWhilePaused)).toEqual(['AbortMultipartUpload']);
      expect(await openUploads(key)).toEqual([]);
      expect(await objectExists(key)).toBe(false);
    });
  }

  for (const [shape, size] of [
    ['one PutObject', 5],
    ['a multipart upload', 5 * PART_SIZE],
  ] as const) {
    it(`cancelled in the same tick as it starts, ${shape} sends nothing and done rejects`, async () => {
      const key = newKey();
      const store = new MemoryResumeStore();
      const observed = observedS3();
      const states: UploadTaskState[] = [];
      const task = startUploadTask(parameters(observed.client, key, bytesSource(content(size)), { resumeStore: store }));
      task.onStateChange((state) => states.push(state));
      const cancelled = task.cancel();
      expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'Aborted' });
      await cancelled;
      expect(task.state).toBe('cancelled');
      expect(states).toEqual(['cancelled']);
      expect(observed.sent).toEqual([]);
      expect(await objectExists(key)).toBe(false);
      expect(await openUploads(key)).toEqual([]);
      expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
    });
  }

  it('paused and cancelled in the same tick as it starts, sends nothing', async () => {
    const key = newKey();
    const observed = observedS3();
    const task = startUploadTask(parameters(observed.client, key, bytesSource(content(5 * PART_SIZE))));
    task.pause();
    await task.cancel();
    expect(await rejection(task.done)).toMatchObject({ code: 'Aborted' });
    expect(observed.sent).toEqual([]);
    expect(await openUploads(key)).toEqual([]);
  });

  it('cancelled while S3 is creating the multipart upload, leaves no upload open on S3', async () => {
    const key = newKey();
    const store = new MemoryResumeStore();
    const current: { task?: UploadTask } = {};
    const observed = observedS3();
    let cancelledAtServer = false;
    // S3 has received CreateMultipartUpload and is deciding on it when the task is cancelled; it creates the upload only after.
    whileAuthorizing = async (request) => {
      if (cancelledAtServer || request.resource !== `arn:aws:s3:::${BUCKET}/${key}`) return;
      cancelledAtServer = true;
      void current.task!.cancel();
      // A client that aborts the request does so at once: give it a few turns of the event loop to show.
      await Promise.race([until(() => observed.sent.some((command) => command.failed)), eventLoopTurns(10)]);
    };
    try {
      const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(content(5 * PART_SIZE)), { resumeStore: store })));
      expect(await rejection(task.done)).toMatchObject({ code: 'Aborted' });
      await task.cancel();
      expect(cancelledAtServer).toBe(true);
      expect(await uploadsLeftOpen(key)).toEqual([]);
      // The client waited for S3's answer, so it knew the upload to abort, and sent no part.
      expect(observed.names()).toEqual(['CreateMultipartUpload', 'AbortMultipartUpload']);
      expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
    } finally {
      whileAuthorizing = undefined;
    }
  });
});

describe('upload task: failure and retry', () => {
  it('stops starting parts after one fails, keeps the upload and its resume record; retry lists the parts S3 has and sends only the rest', async () => {
    const key = newKey();
    const data = content(5 * PART_SIZE);
    const store = new MemoryResumeStore();
    let broken = false;
    const observed = observedS3((command) => {
      // The IAM engine behind S3 breaks once, as part 3 goes out: S3 answers 500 InternalError.
      if (command.name === 'UploadPart' && command.input.PartNumber === 3 && !broken) {
        broken = true;
        iamFailure = new Error('policy store unavailable');
      }
    });
    const task = startUploadTask(parameters(observed.client, key, bytesSource(data, 'big.bin'), { resumeStore: store }));
    const failure = await rejection(task.done).finally(() => (iamFailure = undefined));
    expect(failure).toMatchObject({ name: 'StorageError', code: 'ServiceError' });
    expect(failure.message).toContain(key.slice(s3.alice.prefix.length));
    expect(internalErrors).toContainEqual(new Error('policy store unavailable'));
    expect(task.state).toBe('failed');
    expect(task.error).toBe(failure);
    expect(task.progress.loadedBytes).toBe(2 * PART_SIZE);
    expect(observed.sentParts()).toEqual([1, 2, 3]);
    expect(observed.names()).not.toContain('CompleteMultipartUpload');
    expect(observed.aborted()).toEqual([]);
    const [uploadId] = observed.uploadIds();
    expect(await store.get(`${BUCKET}/${key}`)).toMatchObject({ uploadId, key, size: data.length, partSize: PART_SIZE, fingerprint: 'big.bin:50' });
    const kept = await s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(kept.Parts?.map((part) => part.PartNumber)).toEqual([1, 2]);

    const before = observed.sent.length;
    task.retry();
    expect(task.state).toBe('running');
    const result = await task.done;
    expect(result.size).toBe(data.length);
    expect(task.state).toBe('succeeded');
    const afterRetry = observed.sent.slice(before);
    expect(afterRetry[0]!.name).toBe('ListParts');
    expect(afterRetry.filter((command) => command.name === 'UploadPart').map((command) => command.input.PartNumber)).toEqual([3, 4, 5]);
    expect(observed.acceptedParts()).toEqual([1, 2, 3, 4, 5]);
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });
});

/**
 * A TCP relay in front of the local S3 that forwards the client's bytes until `holdAfter` have
 * passed, then stops reading them until released: the request body waits in the client.
 */
async function holdingRelay(target: string, holdAfter: number) {
  const { hostname, port } = new URL(target);
  let forwarded = 0;
  let held: Socket[] = [];
  let release: (() => void) | undefined;
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      forwarded += chunk.length;
      upstream.write(chunk);
      if (forwarded >= holdAfter && !release) {
        client.pause();
        held.push(client);
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded: () => forwarded,
    release: () => {
      release = () => undefined;
      for (const socket of held) socket.resume();
      held = [];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('upload task: byte progress', () => {
  it('moves while one large part is in flight, before S3 has received it, and ends exactly at the size', async () => {
    const partSize = 8 * 1024 * 1024;
    const data = content(2 * partSize);
    const relay = await holdingRelay(s3.endpoint, 1024 * 1024);
    try {
      const observed = observedClient(s3Client(relay.endpoint, s3.alice.credentials));
      const task = startUploadTask(parameters(observed.client, newKey(), bytesSource(data), { partSize, multipartThreshold: partSize }));
      const seen: Array<{ loadedBytes: number; partsAnswered: number; forwarded: number }> = [];
      const between = new Promise<void>((resolve) => {
        task.onProgress((progress) => {
          seen.push({ loadedBytes: progress.loadedBytes, partsAnswered: observed.acceptedParts().length, forwarded: relay.forwarded() });
          if (progress.loadedBytes > 0 && progress.loadedBytes < partSize) resolve();
        });
      });
      await between;
      const during = seen.find((event) => event.loadedBytes > 0 && event.loadedBytes < partSize)!;
      // Part 1 is still on its way: S3 has answered nothing and the relay has not passed the part on.
      expect(during.partsAnswered).toBe(0);
      expect(during.forwarded).toBeLessThan(partSize);
      relay.release();
      const result = await task.done;
      expect(result.size).toBe(data.length);
      const loaded = seen.map((event) => event.loadedBytes);
      expect(loaded.some((bytes) => bytes > partSize && bytes < 2 * partSize)).toBe(true);
      expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
      expect(loaded.at(-1)).toBe(data.length);
      expect(task.progress).toEqual({ loadedBytes: data.length, totalBytes: data.length });
    } finally {
      relay.release();
      await relay.close();
    }
  }, 60_000);
});

describe('upload task: part-size plan', () => {
  it('grows the part size so the file fits in the most parts allowed', async () => {
    const key = newKey();
    const observed = observedS3();
    const data = content(95);
    await startUploadTask(parameters(observed.client, key, bytesSource(data), { concurrency: 2, partLimits: { ...SMALL_PARTS, maxParts: 4 } })).done;
    const parts = observed.sent.filter((command) => command.name === 'UploadPart').map((command) => [command.input.PartNumber, command.body?.byteLength]);
    expect(parts.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1, 24],
      [2, 24],
      [3, 24],
      [4, 23],
    ]);
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses a file above the object limit before sending anything', async () => {
    const observed = observedS3();
    const task = startUploadTask(parameters(observed.client, newKey(), bytesSource(content(101)), { partLimits: { ...SMALL_PARTS, maxObjectSize: 100 } }));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'TooLarge' });
    expect(task.state).toBe('failed');
    expect(observed.sent).toEqual([]);
  });
});

describe('upload task: ifNoneMatch', () => {
  it('refuses to replace an object with one PutObject: AlreadyExists, the object unchanged', async () => {
    const key = newKey();
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'written first' }));
    const observed = observedS3();
    const task = startUploadTask(parameters(observed.client, key, bytesSource(content(5)), { ifNoneMatch: true }));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'AlreadyExists' });
    expect(observed.sent.map((command) => [command.name, command.input.IfNoneMatch])).toEqual([['PutObject', '*']]);
    expect(Buffer.from(await storedBytes(key)).toString()).toBe('written first');
  });

  it('refuses to replace an object with a multipart upload: AlreadyExists, the upload aborted and forgotten', async () => {
    const key = newKey();
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'written first' }));
    const store = new MemoryResumeStore();
    const observed = observedS3();
    const task = startUploadTask(parameters(observed.client, key, bytesSource(content(35)), { ifNoneMatch: true, resumeStore: store }));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'AlreadyExists' });
    expect(observed.sent.find((command) => command.name === 'CompleteMultipartUpload')!.input.IfNoneMatch).toBe('*');
    const [uploadId] = observed.uploadIds();
    expect(observed.aborted()).toEqual([uploadId]);
    expect(await listPartsError(key, uploadId!)).toBe('NoSuchUpload');
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
    expect(Buffer.from(await storedBytes(key)).toString()).toBe('written first');
  });

  it('writes a new key with ifNoneMatch', async () => {
    const key = newKey();
    const observed = observedS3();
    await startUploadTask(parameters(observed.client, key, bytesSource(content(35)), { ifNoneMatch: true })).done;
    expect([...(await storedBytes(key))]).toEqual([...content(35)]);
  });
});

describe('upload task: resuming after a crash', () => {
  it('continues the upload its resume record names, sending only the parts S3 lacks', async () => {
    const key = newKey();
    const data = content(4 * PART_SIZE + 5);
    const store = new MemoryResumeStore();
    // The first session stops after part 2 (a crash: the task is simply dropped while paused).
    const current: { task?: UploadTask } = {};
    const first = observedS3((command) => {
      if (command.name === 'UploadPart' && command.input.PartNumber === 3) queueMicrotask(() => current.task!.pause());
    });
    const dropped = (current.task = startUploadTask(parameters(first.client, key, bytesSource(data, 'big.bin'), { resumeStore: store })));
    await reaching(dropped, 'paused');
    expect(await store.get(`${BUCKET}/${key}`)).toMatchObject({ uploadId: first.uploadIds()[0], size: data.length, partSize: PART_SIZE, fingerprint: 'big.bin:45' });

    const second = observedS3();
    const result = await startUploadTask(parameters(second.client, key, bytesSource(data, 'big.bin'), { resumeStore: store })).done;
    expect(result).toMatchObject({ resumed: true, size: data.length });
    expect(second.names()).not.toContain('CreateMultipartUpload');
    expect(second.names()[0]).toBe('ListParts');
    expect(second.acceptedParts()).toEqual([3, 4, 5]);
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });
});

describe('upload task: resuming from a resume record', () => {
  const record = (key: string, uploadId: string, overrides: Partial<ResumeRecord> = {}): ResumeRecord => ({ uploadId, key, size: 45, partSize: PART_SIZE, fingerprint: 'big.bin:45', createdAt: '2026-01-01T00:00:00.000Z', ...overrides });

  /** An earlier attempt's upload on S3, with the given parts of `source` already sent (a part may be cut at another size). */
  async function earlierUpload(key: string, source: Uint8Array, parts: Array<{ partNumber: number; size?: number }>, partSize = PART_SIZE): Promise<{ uploadId: string; etags: Map<number, string> }> {
    const client = s3.alice.client;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC32' }));
    const etags = new Map<number, string>();
    const send = async ({ partNumber, size }: { partNumber: number; size?: number }) => {
      const start = (partNumber - 1) * partSize;
      const body = source.subarray(start, size === undefined ? start + partSize : start + size);
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: partNumber, Body: body, ChecksumAlgorithm: 'CRC32' }));
      etags.set(partNumber, ETag!);
    };
    const queue = [...parts];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let part = queue.shift(); part; part = queue.shift()) await send(part);
      }),
    );
    return { uploadId: UploadId!, etags };
  }

  it('sends only the parts S3 does not have at their planned size', async () => {
    const key = newKey();
    const data = content(45);
    // Part 3 was cut with another part size (sent again), part 4 never arrived.
    const earlier = await earlierUpload(key, data, [{ partNumber: 1 }, { partNumber: 2 }, { partNumber: 3, size: 7 }, { partNumber: 5, size: 5 }]);
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId));
    const observed = observedS3();
    const task = startUploadTask(parameters(observed.client, key, bytesSource(data, 'big.bin'), { concurrency: 2, resumeStore: store }));
    const progress: UploadTaskProgress[] = [];
    task.onProgress((event) => progress.push(event));
    const result = await task.done;
    expect(result).toMatchObject({ resumed: true, size: 45 });
    expect(observed.names()).not.toContain('CreateMultipartUpload');
    expect(observed.listMarkers()).toEqual([undefined]);
    expect(observed.partBodies().map((part) => part.partNumber)).toEqual([3, 4]);
    expect(progress[0]).toEqual({ loadedBytes: 25, totalBytes: 45 });
    const resent = new Map(observed.sent.filter((command) => command.name === 'UploadPart').map((command) => [command.input.PartNumber, command.output!.ETag]));
    expect(observed.completions()[0]!.map((part) => [part.PartNumber, part.ETag])).toEqual([
      [1, earlier.etags.get(1)],
      [2, earlier.etags.get(2)],
      [3, resent.get(3)],
      [4, resent.get(4)],
      [5, earlier.etags.get(5)],
    ]);
    expect([...(await storedBytes(key))]).toEqual([...data]);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });

  it('reads every page of ListParts (S3 lists 1000 parts a page)', async () => {
    const key = newKey();
    const partSize = 2;
    const size = 1003 * partSize;
    const data = content(size);
    // Parts 1 to 1002 except 4 on S3: page one ends at part 1001, page two holds part 1002.
    const sentBefore = Array.from({ length: 1002 }, (_, index) => ({ partNumber: index + 1 })).filter((part) => part.partNumber !== 4);
    const earlier = await earlierUpload(key, data, sentBefore, partSize);
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId, { size, partSize, fingerprint: `big.bin:${size}` }));
    const observed = observedS3();
    const result = await startUploadTask(parameters(observed.client, key, bytesSource(data, 'big.bin'), { partSize, concurrency: 2, resumeStore: store })).done;
    expect(result).toMatchObject({ resumed: true, size });
    expect(observed.listMarkers()).toEqual([undefined, '1001']);
    expect(observed.partBodies().map((part) => part.partNumber)).toEqual([4, 1003]);
    expect(observed.completions()[0]).toHaveLength(1003);
    expect(observed.completions()[0]!.at(1001)).toMatchObject({ PartNumber: 1002, ETag: earlier.etags.get(1002) });
    expect([...(await storedBytes(key))]).toEqual([...data]);
  }, 60_000);

  it('aborts a remembered upload of other content (size, part size or fingerprint) and starts over', async () => {
    for (const stale of [{ size: 44 }, { partSize: 20 }, { fingerprint: 'other.bin:45' }]) {
      const key = newKey();
      const data = content(45);
      const earlier = await earlierUpload(key, data, [{ partNumber: 1 }]);
      const store = new MemoryResumeStore();
      await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId, stale));
      const observed = observedS3();
      const result = await startUploadTask(parameters(observed.client, key, bytesSource(data, 'big.bin'), { resumeStore: store })).done;
      expect(result.resumed).toBe(false);
      expect(observed.aborted()).toEqual([earlier.uploadId]);
      expect(await listPartsError(key, earlier.uploadId)).toBe('NoSuchUpload');
      expect(observed.partBodies()).toHaveLength(5);
      expect(observed.names()).not.toContain('ListParts');
      expect([...(await storedBytes(key))]).toEqual([...data]);
    }
  });

  it('starts over when S3 no longer knows the remembered upload (NoSuchUpload)', async () => {
    const key = newKey();
    const data = content(45);
    const earlier = await earlierUpload(key, data, [{ partNumber: 1 }]);
    await s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: earlier.uploadId }));
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId));
    const observed = observedS3();
    const result = await startUploadTask(parameters(observed.client, key, bytesSource(data, 'big.bin'), { resumeStore: store })).done;
    expect(result).toMatchObject({ resumed: false, size: 45 });
    expect(observed.names().slice(0, 2)).toEqual(['ListParts', 'CreateMultipartUpload']);
    expect(observed.acceptedParts()).toEqual([1, 2, 3, 4, 5]);
    expect([...(await storedBytes(key))]).toEqual([...data]);
  });

  it('fails without starting over when listing the parts fails otherwise (AccessDenied)', async () => {
    const key = newKey();
    const data = content(45);
    const earlier = await earlierUpload(key, data, [{ partNumber: 1 }]);
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId));
    // Bob's credentials may not touch alice's prefix: S3 refuses his ListParts.
    const bob = observedS3(undefined, s3.bob);
    const task = startUploadTask(parameters(bob.client, key, bytesSource(data, 'big.bin'), { resumeStore: store }));
    expect(await rejection(task.done)).toMatchObject({ code: 'AccessDenied' });
    expect(task.state).toBe('failed');
    expect(bob.names()).toEqual(['ListParts']);
    expect(await store.get(`${BUCKET}/${key}`)).toEqual(record(key, earlier.uploadId));
    expect(await listPartsError(key, earlier.uploadId)).toBeUndefined();
  });
});
