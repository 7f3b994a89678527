import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadInParts, type MultipartUploadRequest, type UploadProgress } from '../../../app/library/multipart-upload.ts';
import { MemoryResumeStore, type ResumeRecord } from '../../../app/library/resume-store.ts';
import { bytesSource } from '../../../app/library/upload-source.ts';
import { BUCKET, ownPrefixOnly, s3Client, startLocalS3, type LocalS3, type TestIdentity } from '../local-s3/local-s3-fixture.ts';

const PART_SIZE = 10;

/** One command the client sent, as the SDK middleware saw it. */
interface SentCommand {
  name: string;
  input: Record<string, unknown>;
  /** UploadPart's body, copied when sent (the planner reuses the buffer for the next part). */
  bytes?: number[];
  output?: Record<string, unknown>;
}

/** A real S3 client (alice's unless told), with SDK middleware that records what it sends and how many requests are in flight. */
function observedClient(s3: LocalS3, who: TestIdentity = s3.alice) {
  const client = s3Client(s3.endpoint, who.credentials);
  const sent: SentCommand[] = [];
  const flight = { now: 0, max: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command: SentCommand = { name: String(context.commandName).replace(/Command$/, ''), input: { ...input } };
      if (command.name === 'UploadPart') command.bytes = [...(input.Body as Uint8Array)];
      sent.push(command);
      flight.now += 1;
      flight.max = Math.max(flight.max, flight.now);
      try {
        const result = await next(args);
        command.output = { ...result.output } as Record<string, unknown>;
        return result;
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
    /** The parts sent successfully, by part number. */
    parts: () =>
      named('UploadPart')
        .filter((command) => command.output)
        .map((command) => ({ partNumber: command.input.PartNumber as number, bytes: command.bytes! }))
        .sort((a, b) => a.partNumber - b.partNumber),
    completions: () => named('CompleteMultipartUpload').map((command) => (command.input.MultipartUpload as { Parts: Array<Record<string, unknown>> }).Parts),
    aborted: () => named('AbortMultipartUpload').map((command) => command.input.UploadId),
    listMarkers: () => named('ListParts').map((command) => command.input.PartNumberMarker),
    uploadIds: () => named('CreateMultipartUpload').map((command) => command.output?.UploadId),
  };
}

const content = (size: number) => Uint8Array.from({ length: size }, (_, index) => index % 251);

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; name: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & { code?: string },
  );
}

let s3: LocalS3;
/** When set, the IAM engine behind the local S3 fails (answered as 500 InternalError). */
let iamFailure: Error | undefined;
const internalErrors: unknown[] = [];
let keys = 0;

beforeAll(async () => {
  s3 = await startLocalS3({
    limits: { minPartBytes: 1 },
    authorize: (request) => {
      if (iamFailure) throw iamFailure;
      return ownPrefixOnly(request);
    },
    onInternalError: (error) => internalErrors.push(error),
  });
});

afterAll(async () => {
  await s3.close();
});

/** A key of alice's of its own for each upload, so tests do not see each other's objects. */
function newKey(): string {
  keys += 1;
  return `${s3.alice.prefix}big-${keys}.bin`;
}

function request(observed: ReturnType<typeof observedClient>, key: string, size: number, options: Partial<MultipartUploadRequest> = {}): MultipartUploadRequest {
  return { s3: observed.client, bucket: BUCKET, key, source: bytesSource(content(size), 'big.bin'), partSize: PART_SIZE, concurrency: 2, ...options };
}

async function storedBytes(key: string): Promise<number[]> {
  const object = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return [...(await object.Body!.transformToByteArray())];
}

/** The error S3 answers ListParts for `uploadId` with, or `undefined` when the upload still exists. */
async function listPartsError(key: string, uploadId: string, client: S3Client = s3.alice.client): Promise<string | undefined> {
  return client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })).then(
    () => undefined,
    (error: Error) => error.name,
  );
}

describe('uploadInParts: the part plan', () => {
  it('cuts the source into parts of partSize, the last one shorter, and completes them in part order', async () => {
    const observed = observedClient(s3);
    const key = newKey();
    const result = await uploadInParts(request(observed, key, 4 * PART_SIZE + 3));
    expect(result).toMatchObject({ resumed: false, partsSent: 5 });
    expect(result.etag).toMatch(/^"[0-9a-f]{32}-5"$/);
    expect(observed.uploadIds()).toHaveLength(1);
    expect(observed.sent.find((command) => command.name === 'CreateMultipartUpload')!.input).toMatchObject({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC32' });
    const sent = observed.parts();
    expect(sent.map((part) => [part.partNumber, part.bytes.length])).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
      [4, 10],
      [5, 3],
    ]);
    expect(sent.flatMap((part) => part.bytes)).toEqual([...content(4 * PART_SIZE + 3)]);
    const answers = new Map(observed.sent.filter((command) => command.name === 'UploadPart').map((command) => [command.input.PartNumber, command.output!]));
    expect(observed.completions()).toEqual([
      [1, 2, 3, 4, 5].map((n) => ({ PartNumber: n, ETag: answers.get(n)!.ETag, ChecksumCRC32: answers.get(n)!.ChecksumCRC32 })),
    ]);
    expect(observed.sent.find((command) => command.name === 'CompleteMultipartUpload')!.input.IfNoneMatch).toBeUndefined();
    expect(await storedBytes(key)).toEqual([...content(4 * PART_SIZE + 3)]);
  });

  it('sends a size that is a multiple of partSize as full parts only', async () => {
    const observed = observedClient(s3);
    await uploadInParts(request(observed, newKey(), 3 * PART_SIZE));
    expect(observed.parts().map((part) => part.bytes.length)).toEqual([10, 10, 10]);
  });

  it('sends an empty source as one empty part (S3 needs at least one)', async () => {
    const observed = observedClient(s3);
    const key = newKey();
    const result = await uploadInParts(request(observed, key, 0));
    expect(result.partsSent).toBe(1);
    expect(observed.parts()).toEqual([{ partNumber: 1, bytes: [] }]);
    expect(await storedBytes(key)).toEqual([]);
  });

  it('keeps at most `concurrency` parts in flight', async () => {
    const three = observedClient(s3);
    await uploadInParts(request(three, newKey(), 12 * PART_SIZE, { concurrency: 3 }));
    expect(three.flight.max).toBe(3);
    const one = observedClient(s3);
    await uploadInParts(request(one, newKey(), 5 * PART_SIZE, { concurrency: 1 }));
    expect(one.flight.max).toBe(1);
    expect(one.sent.filter((command) => command.name === 'UploadPart').map((command) => command.input.PartNumber)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports progress from zero to the whole size, part by part', async () => {
    const observed = observedClient(s3);
    const progress: UploadProgress[] = [];
    await uploadInParts(request(observed, newKey(), 2 * PART_SIZE + 5, { onProgress: (event) => progress.push({ ...event }) }));
    expect(progress[0]).toEqual({ loadedBytes: 0, totalBytes: 25, partsDone: 0, partsTotal: 3 });
    expect(progress.at(-1)).toEqual({ loadedBytes: 25, totalBytes: 25, partsDone: 3, partsTotal: 3 });
    expect(progress.map((event) => event.partsDone)).toEqual([0, 1, 2, 3]);
  });

  it('asks S3 to refuse an overwrite on completion with ifNoneMatch, and aborts the upload on AlreadyExists', async () => {
    const key = newKey();
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'written first' }));
    const observed = observedClient(s3);
    const store = new MemoryResumeStore();
    const error = await rejection(uploadInParts(request(observed, key, 15, { ifNoneMatch: true, resumeStore: store })));
    expect(error).toMatchObject({ name: 'StorageError', code: 'AlreadyExists' });
    expect(observed.sent.find((command) => command.name === 'CompleteMultipartUpload')!.input.IfNoneMatch).toBe('*');
    const [uploadId] = observed.uploadIds();
    expect(observed.aborted()).toEqual([uploadId]);
    expect(await listPartsError(key, uploadId as string)).toBe('NoSuchUpload');
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
    expect(Buffer.from(await storedBytes(key)).toString()).toBe('written first');
  });

  it('stops starting parts after one fails, keeps the upload and its resume record for a later attempt', async () => {
    const observed = observedClient(s3);
    const store = new MemoryResumeStore();
    const key = newKey();
    // After part 1 the IAM engine behind S3 breaks: part 2 is answered 500 InternalError.
    const upload = uploadInParts(request(observed, key, 10 * PART_SIZE, { concurrency: 1, resumeStore: store, onProgress: (event) => event.partsDone === 1 && (iamFailure = new Error('policy store unavailable')) }));
    const error = await rejection(upload).finally(() => (iamFailure = undefined));
    expect(error).toMatchObject({ name: 'StorageError', code: 'ServiceError', message: `The storage service failed sending part 2 of ${key} (InternalError).` });
    expect(internalErrors).toContainEqual(new Error('policy store unavailable'));
    expect(observed.sent.filter((command) => command.name === 'UploadPart').map((command) => command.input.PartNumber)).toEqual([1, 2]);
    expect(observed.names()).not.toContain('CompleteMultipartUpload');
    expect(observed.aborted()).toEqual([]);
    const [uploadId] = observed.uploadIds();
    expect(await store.get(`${BUCKET}/${key}`)).toMatchObject({ uploadId, key, size: 100, partSize: PART_SIZE, fingerprint: 'big.bin:100' });
    const kept = await s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId as string }));
    expect(kept.Parts?.map((part) => part.PartNumber)).toEqual([1]);
  });

  it('aborts the upload on S3 and forgets it when cancelled through the signal', async () => {
    const observed = observedClient(s3);
    const store = new MemoryResumeStore();
    const controller = new AbortController();
    const key = newKey();
    const upload = uploadInParts(request(observed, key, 10 * PART_SIZE, { concurrency: 1, resumeStore: store, signal: controller.signal, onProgress: (event) => event.partsDone === 2 && controller.abort() }));
    expect(await rejection(upload)).toMatchObject({ code: 'Aborted', message: `Cancelled: upload of ${key}.` });
    expect(observed.parts().length).toBeLessThan(10);
    const [uploadId] = observed.uploadIds();
    expect(observed.aborted()).toEqual([uploadId]);
    expect(await listPartsError(key, uploadId as string)).toBe('NoSuchUpload');
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });
});

describe('uploadInParts: resuming', () => {
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
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let part = queue.shift(); part; part = queue.shift()) await send(part);
    }));
    return { uploadId: UploadId!, etags };
  }

  it('sends only the parts S3 does not have at their planned size', async () => {
    const key = newKey();
    // Part 3 was cut with another part size (sent again), part 4 never arrived.
    const earlier = await earlierUpload(key, content(45), [{ partNumber: 1 }, { partNumber: 2 }, { partNumber: 3, size: 7 }, { partNumber: 5, size: 5 }]);
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId));
    const observed = observedClient(s3);
    const progress: UploadProgress[] = [];
    const result = await uploadInParts(request(observed, key, 45, { resumeStore: store, onProgress: (event) => progress.push({ ...event }) }));
    expect(result).toMatchObject({ resumed: true, partsSent: 2 });
    expect(observed.names()).not.toContain('CreateMultipartUpload');
    expect(observed.listMarkers()).toEqual([undefined]);
    expect(observed.parts().map((part) => part.partNumber)).toEqual([3, 4]);
    expect(progress[0]).toEqual({ loadedBytes: 25, totalBytes: 45, partsDone: 3, partsTotal: 5 });
    const resent = new Map(observed.sent.filter((command) => command.name === 'UploadPart').map((command) => [command.input.PartNumber, command.output!.ETag]));
    expect(observed.completions()[0]!.map((part) => [part.PartNumber, part.ETag])).toEqual([
      [1, earlier.etags.get(1)],
      [2, earlier.etags.get(2)],
      [3, resent.get(3)],
      [4, resent.get(4)],
      [5, earlier.etags.get(5)],
    ]);
    expect(await storedBytes(key)).toEqual([...content(45)]);
    expect(await store.get(`${BUCKET}/${key}`)).toBeUndefined();
  });

  it('reads every page of ListParts (S3 lists 1000 parts a page)', async () => {
    const key = newKey();
    const partSize = 2;
    const size = 1003 * partSize;
    // Parts 1 to 1002 except 4 on S3: page one ends at part 1001, page two holds part 1002.
    const sentBefore = Array.from({ length: 1002 }, (_, index) => ({ partNumber: index + 1 })).filter((part) => part.partNumber !== 4);
    const earlier = await earlierUpload(key, content(size), sentBefore, partSize);
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId, { size, partSize, fingerprint: `big.bin:${size}` }));
    const observed = observedClient(s3);
    const result = await uploadInParts(request(observed, key, size, { partSize, resumeStore: store }));
    expect(result).toMatchObject({ resumed: true, partsSent: 2 });
    expect(observed.listMarkers()).toEqual([undefined, '1001']);
    expect(observed.parts().map((part) => part.partNumber)).toEqual([4, 1003]);
    expect(observed.completions()[0]!.at(1001)).toMatchObject({ PartNumber: 1002, ETag: earlier.etags.get(1002) });
    expect(await storedBytes(key)).toEqual([...content(size)]);
  }, 60_000);

  it('aborts a remembered upload of other content (size, part size or fingerprint) and starts over', async () => {
    for (const stale of [{ size: 44 }, { partSize: 20 }, { fingerprint: 'other.bin:45' }]) {
      const key = newKey();
      const earlier = await earlierUpload(key, content(45), [{ partNumber: 1 }]);
      const store = new MemoryResumeStore();
      await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId, stale));
      const observed = observedClient(s3);
      const result = await uploadInParts(request(observed, key, 45, { resumeStore: store }));
      expect(result.resumed).toBe(false);
      expect(observed.aborted()).toEqual([earlier.uploadId]);
      expect(await listPartsError(key, earlier.uploadId)).toBe('NoSuchUpload');
      expect(observed.parts()).toHaveLength(5);
      expect(observed.names()).not.toContain('ListParts');
    }
  });

  it('starts over when S3 no longer knows the remembered upload (NoSuchUpload)', async () => {
    const key = newKey();
    const earlier = await earlierUpload(key, content(45), [{ partNumber: 1 }]);
    await s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: earlier.uploadId }));
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId));
    const observed = observedClient(s3);
    const result = await uploadInParts(request(observed, key, 45, { resumeStore: store }));
    expect(result).toMatchObject({ resumed: false, partsSent: 5 });
    expect(observed.names().slice(0, 2)).toEqual(['ListParts', 'CreateMultipartUpload']);
    expect(await storedBytes(key)).toEqual([...content(45)]);
  });

  it('fails without starting over when listing the parts fails otherwise (AccessDenied)', async () => {
    const key = newKey();
    const earlier = await earlierUpload(key, content(45), [{ partNumber: 1 }]);
    const store = new MemoryResumeStore();
    await store.set(`${BUCKET}/${key}`, record(key, earlier.uploadId));
    // Bob's credentials may not touch alice's prefix: S3 refuses his ListParts.
    const bob = observedClient(s3, s3.bob);
    expect(await rejection(uploadInParts(request(bob, key, 45, { resumeStore: store })))).toMatchObject({ code: 'AccessDenied' });
    expect(bob.names()).toEqual(['ListParts']);
    expect(await store.get(`${BUCKET}/${key}`)).toEqual(record(key, earlier.uploadId));
    expect(await listPartsError(key, earlier.uploadId)).toBeUndefined();
  });
});
