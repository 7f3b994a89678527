import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryResumeStore } from '../../../app/library/resume-store.ts';
import { startUploadTask, type StartUploadTaskParameters, type UploadTask, type UploadTaskProgress, type UploadTaskState } from '../../../app/library/upload-task.ts';
import { bytesSource } from '../../../app/library/upload-source.ts';
import { BUCKET, ownPrefixOnly, s3Client, startLocalS3, type LocalS3 } from '../local-s3/local-s3-fixture.ts';

const PART_SIZE = 10;
/** The local S3 takes parts of any size (minPartBytes 1); the planner is told so, with S3's other limits. */
const SMALL_PARTS = { minPartSize: 1, maxPartSize: 5 * 1024 ** 3, maxParts: 10_000, maxObjectSize: 5 * 1024 ** 4, partSizeStep: 1 };

interface SentCommand {
  name: string;
  input: Record<string, unknown>;
  bytes?: number;
  output?: Record<string, unknown>;
  failed?: string;
}

/** A real S3 client whose SDK middleware records each command, and calls `onSend` before one goes out. */
function observedClient(client: S3Client, onSend?: (command: SentCommand) => void) {
  const sent: SentCommand[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command: SentCommand = { name: String(context.commandName).replace(/Command$/, ''), input: { ...input } };
      if (input.Body instanceof Uint8Array) command.bytes = input.Body.byteLength;
      sent.push(command);
      onSend?.(command);
      try {
        const result = await next(args);
        command.output = { ...result.output } as Record<string, unknown>;
        return result;
      } catch (error) {
        command.failed = (error as Error).name;
        throw error;
      }
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
  return {
    client,
    sent,
    names: () => sent.map((command) => command.name),
    /** Part numbers S3 accepted, in the order the answers came. */
    acceptedParts: () => sent.filter((command) => command.name === 'UploadPart' && command.output).map((command) => command.input.PartNumber as number),
    uploadIds: () => sent.filter((command) => command.name === 'CreateMultipartUpload').map((command) => command.output?.UploadId as string),
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

let s3: LocalS3;
let iamFailure: Error | undefined;
let keys = 0;

beforeAll(async () => {
  s3 = await startLocalS3({
    limits: { minPartBytes: 1 },
    authorize: (request) => {
      if (iamFailure) throw iamFailure;
      return ownPrefixOnly(request);
    },
    onInternalError: () => undefined,
  });
});

afterAll(async () => {
  await s3.close();
});

function newKey(): string {
  keys += 1;
  return `${s3.alice.prefix}task-${keys}.bin`;
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

describe('upload task: pause and resume', () => {
  it('pausing aborts the part in flight and un-counts it; resuming sends only the parts S3 lacks, and the object is identical', async () => {
    const key = newKey();
    const data = content(6 * PART_SIZE + 4);
    const current: { task?: UploadTask } = {};
    let progressAtPause: UploadTaskProgress | undefined;
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials), (command) => {
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
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials), (command) => {
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
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
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
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials), (command) => {
      if (command.name === 'UploadPart' && command.input.PartNumber === 2) queueMicrotask(() => void current.task!.cancel());
    });
    const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(content(8 * PART_SIZE)), { resumeStore: store })));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'Aborted' });
    await task.cancel();
    expect(task.state).toBe('cancelled');
    const [uploadId] = observed.uploadIds();
    expect(observed.names()).toContain('AbortMultipartUpload');
    expect(await listPartsError(key, uploadId!)).toBe('NoSuchUpload');
    expect(await objectExists(key)).toBe(false);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });

  it('cancels a paused upload, and cancelling through the signal is the same', async () => {
    const key = newKey();
    const controller = new AbortController();
    const current: { task?: UploadTask } = {};
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials), (command) => {
      if (command.name === 'UploadPart' && command.input.PartNumber === 2) queueMicrotask(() => current.task!.pause());
    });
    const task = (current.task = startUploadTask(parameters(observed.client, key, bytesSource(content(5 * PART_SIZE)), { signal: controller.signal })));
    await reaching(task, 'paused');
    controller.abort();
    expect(await rejection(task.done)).toMatchObject({ code: 'Aborted' });
    await task.cancel();
    expect(await listPartsError(key, observed.uploadIds()[0]!)).toBe('NoSuchUpload');
    expect(await objectExists(key)).toBe(false);
  });
});

describe('upload task: retry', () => {
  it('after a real failure, retry lists the parts S3 has and sends only the rest', async () => {
    const key = newKey();
    const data = content(5 * PART_SIZE);
    let broken = false;
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials), (command) => {
      // The IAM engine behind S3 breaks once, as part 3 goes out: S3 answers 500 InternalError.
      if (command.name === 'UploadPart' && command.input.PartNumber === 3 && !broken) {
        broken = true;
        iamFailure = new Error('policy store unavailable');
      }
    });
    const task = startUploadTask(parameters(observed.client, key, bytesSource(data)));
    const failure = await rejection(task.done);
    expect(failure).toMatchObject({ name: 'StorageError', code: 'ServiceError' });
    expect(task.state).toBe('failed');
    expect(task.error).toBe(failure);
    expect(task.progress.loadedBytes).toBe(2 * PART_SIZE);
    iamFailure = undefined;

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
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
    const data = content(95);
    await startUploadTask(parameters(observed.client, key, bytesSource(data), { concurrency: 2, partLimits: { ...SMALL_PARTS, maxParts: 4 } })).done;
    const parts = observed.sent.filter((command) => command.name === 'UploadPart').map((command) => [command.input.PartNumber, command.bytes]);
    expect(parts.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1, 24],
      [2, 24],
      [3, 24],
      [4, 23],
    ]);
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses a file above the object limit before sending anything', async () => {
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
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
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
    const task = startUploadTask(parameters(observed.client, key, bytesSource(content(5)), { ifNoneMatch: true }));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'AlreadyExists' });
    expect(observed.sent.map((command) => [command.name, command.input.IfNoneMatch])).toEqual([['PutObject', '*']]);
    expect(Buffer.from(await storedBytes(key)).toString()).toBe('written first');
  });

  it('refuses to replace an object with a multipart upload: AlreadyExists, the upload aborted and forgotten', async () => {
    const key = newKey();
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'written first' }));
    const store = new MemoryResumeStore();
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
    const task = startUploadTask(parameters(observed.client, key, bytesSource(content(35)), { ifNoneMatch: true, resumeStore: store }));
    expect(await rejection(task.done)).toMatchObject({ name: 'StorageError', code: 'AlreadyExists' });
    expect(observed.sent.find((command) => command.name === 'CompleteMultipartUpload')!.input.IfNoneMatch).toBe('*');
    expect(await listPartsError(key, observed.uploadIds()[0]!)).toBe('NoSuchUpload');
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
    expect(Buffer.from(await storedBytes(key)).toString()).toBe('written first');
  });

  it('writes a new key with ifNoneMatch', async () => {
    const key = newKey();
    const observed = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
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
    const first = observedClient(s3Client(s3.endpoint, s3.alice.credentials), (command) => {
      if (command.name === 'UploadPart' && command.input.PartNumber === 3) queueMicrotask(() => current.task!.pause());
    });
    const dropped = (current.task = startUploadTask(parameters(first.client, key, bytesSource(data, 'big.bin'), { resumeStore: store })));
    await reaching(dropped, 'paused');
    expect(await store.get(`${BUCKET}/${key}`)).toMatchObject({ uploadId: first.uploadIds()[0], size: data.length, partSize: PART_SIZE, fingerprint: 'big.bin:45' });

    const second = observedClient(s3Client(s3.endpoint, s3.alice.credentials));
    const result = await startUploadTask(parameters(second.client, key, bytesSource(data, 'big.bin'), { resumeStore: store })).done;
    expect(result).toMatchObject({ resumed: true, size: data.length });
    expect(second.names()).not.toContain('CreateMultipartUpload');
    expect(second.names()[0]).toBe('ListParts');
    expect(second.acceptedParts()).toEqual([3, 4, 5]);
    expect(Buffer.from(await storedBytes(key)).equals(Buffer.from(data))).toBe(true);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });
});
