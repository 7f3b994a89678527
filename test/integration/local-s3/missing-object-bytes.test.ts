import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { realpath, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Readable } from 'node:stream';
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest';
import { LOCAL_DATABASE_FILE } from '../../../infra/local/persistence/local-database.ts';
import { OBJECT_BYTES_DIRECTORY } from '../../../infra/local/s3/model/blob-directory.ts';
import type { ObjectRecord } from '../../../infra/local/s3/model/object-record.ts';
import { expectServiceError } from '../service-error-assertions.ts';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

const MiB = 1024 * 1024;

let s3: LocalS3;
/** What the handler reported as internal errors (the default reporter prints each with console.error). */
const internalErrors: unknown[] = [];
let blobDirectory: string;

beforeAll(async () => {
  s3 = await startLocalS3({ onInternalError: (error) => internalErrors.push(error) });
  blobDirectory = await realpath(join(s3.dataDirectory, 's3', BUCKET, OBJECT_BYTES_DIRECTORY));
});
afterAll(() => s3.close());

/** The blob ids of a stored object, from the database, in segment order. */
function blobIdsOf(key: string): string[] {
  const database = new DatabaseSync(join(s3.dataDirectory, LOCAL_DATABASE_FILE), { readOnly: true });
  try {
    const row = database.prepare('SELECT record FROM s3_objects WHERE bucket = ? AND key = ?').get(BUCKET, Buffer.from(key, 'utf8')) as { record: string } | undefined;
    if (!row) throw new Error(`no record for ${key}`);
    return (JSON.parse(row.record) as ObjectRecord).segments.map((segment) => segment.blobId);
  } finally {
    database.close();
  }
}

/** This process's open descriptors on blob files (the server runs in this process). */
function openBlobFiles(): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${blobDirectory}/`)) open.push(target);
    } catch {
      // The descriptor closed between the listing and the readlink.
    }
  }
  return open;
}

async function bodyOf(call: Promise<{ Body?: unknown }>): Promise<Buffer> {
  const { Body } = await call;
  return Buffer.from(await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function putSmall(key: string, body: Buffer): Promise<void> {
  await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** A multipart object of the given part sizes; returns its bytes. */
async function putMultipart(key: string, partSizes: number[]): Promise<Buffer> {
  const client = s3.alice.client;
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const parts = partSizes.map((size) => randomBytes(size));
  const etags: string[] = [];
  for (const [index, part] of parts.entries()) {
    etags.push((await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: index + 1, Body: part }))).ETag ?? '');
  }
  await client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) } }));
  return Buffer.concat(parts);
}

function removeBlob(blobId: string): Promise<void> {
  return unlink(join(blobDirectory, blobId));
}

/** Asserts exactly one internal error was reported since `before`, printed on one line naming the bucket, key and blob id. */
function expectOneLogLine(before: number, key: string, blobId: string): void {
  const reported = internalErrors.slice(before);
  expect(reported).toHaveLength(1);
  const line = format('s3: internal error', reported[0]);
  expect(line).not.toContain('\n');
  expect(line).toContain(BUCKET);
  expect(line).toContain(JSON.stringify(key));
  expect(line).toContain(blobId);
}

describe('an object whose blob file is missing', () => {
  test('a small object: GET is a 500 InternalError (S3 XML) with one log line; HEAD still answers from the record', async () => {
    const key = `${s3.alice.prefix}lost/small.txt`;
    await putSmall(key, Buffer.from('soon gone'));
    const [blobId] = blobIdsOf(key);
    await removeBlob(blobId!);

    const before = internalErrors.length;
    const error = await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })), 'InternalError', 500);
    expect(error.message).not.toContain(blobId);
    expectOneLogLine(before, key, blobId!);

    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(9);
  });

  test('a ranged GET is a 500 too, and the same client (its kept-alive connection) goes on working', async () => {
    const key = `${s3.alice.prefix}lost/raw.txt`;
    await putSmall(key, Buffer.from('raw'));
    await removeBlob(blobIdsOf(key)[0]!);
    const before = internalErrors.length;
    const error = await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=0-1' })), 'InternalError', 500);
    expect(error.message).toBe('We encountered an internal error. Please try again.');
    expect(internalErrors.length - before).toBe(1);
    const other = `${s3.alice.prefix}lost/raw-neighbour.txt`;
    await putSmall(other, Buffer.from('still here'));
    expect((await bodyOf(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: other })))).toString()).toBe('still here');
  });

  test('a 20 MiB multipart object missing its second segment: GET is a 500 before any byte; reads that do not touch it still work', async () => {
    const key = `${s3.alice.prefix}lost/multipart.bin`;
    const body = await putMultipart(key, [8 * MiB, 8 * MiB, 4 * MiB]);
    const blobIds = blobIdsOf(key);
    expect(blobIds).toHaveLength(3);
    await removeBlob(blobIds[1]!);

    const before = internalErrors.length;
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })), 'InternalError', 500);
    expectOneLogLine(before, key, blobIds[1]!);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 2 })), 'InternalError', 500);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${8 * MiB - 10}-${8 * MiB + 10}` })), 'InternalError', 500);

    expect(await bodyOf(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${16 * MiB}-${16 * MiB + 99}` })))).toEqual(body.subarray(16 * MiB, 16 * MiB + 100));
    expect((await bodyOf(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 1 })))).equals(body.subarray(0, 8 * MiB))).toBe(true);
    expect((await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength).toBe(20 * MiB);
  });

  test('CopyObject and UploadPartCopy from it are 500 InternalError, logged, and leave no object and no blob behind', async () => {
    const source = `${s3.alice.prefix}lost/copy-source.txt`;
    await putSmall(source, Buffer.from('copy me'));
    const [blobId] = blobIdsOf(source);
    await removeBlob(blobId!);
    const target = `${s3.alice.prefix}lost/copy-target.txt`;
    const before = internalErrors.length;
    await expectServiceError(s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: target, CopySource: `${BUCKET}/${source}` })), 'InternalError', 500);
    expectOneLogLine(before, source, blobId!);
    expect((await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: target }))).KeyCount).toBe(0);

    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: target }));
    await expectServiceError(s3.alice.client.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: target, UploadId, PartNumber: 1, CopySource: `${BUCKET}/${source}` })), 'InternalError', 500);
    expect(internalErrors.length - before).toBe(2);
    expect(await unreferencedBlobs(s3.dataDirectory)).toEqual([]);
  });
});

describe('blob file descriptors', () => {
  test('none stay open after many reads: whole, ranged, across segments, missing segments, and clients that go away mid-body', async () => {
    const key = `${s3.alice.prefix}fds/multipart.bin`;
    const body = await putMultipart(key, [5 * MiB, 5 * MiB]);
    const lostKey = `${s3.alice.prefix}fds/lost.bin`;
    await putMultipart(lostKey, [5 * MiB, 5 * MiB]);
    await removeBlob(blobIdsOf(lostKey)[1]!);
    const small = `${s3.alice.prefix}fds/small.txt`;
    await putSmall(small, Buffer.from('small'));
    const client = s3.alice.client;
    const collectedHandles: string[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.message.includes('on garbage collection')) collectedHandles.push(warning.message);
    };
    process.on('warning', onWarning);
    onTestFinished(() => void process.off('warning', onWarning));

    for (let round = 0; round < 10; round += 1) {
      expect((await bodyOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: small })))).toString()).toBe('small');
      expect(await bodyOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${5 * MiB - 5}-${5 * MiB + 4}` })))).toEqual(body.subarray(5 * MiB - 5, 5 * MiB + 5));
      expect((await bodyOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })))).equals(body)).toBe(true);
      await expectServiceError(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: lostKey })), 'InternalError', 500);
      // A client that reads the first chunk of a streamed body, then hangs up.
      const started = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const stream = started.Body as Readable;
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.destroy();
    }

    await vi.waitFor(() => expect(openBlobFiles()).toEqual([]), { timeout: 10_000 });
    // A FileHandle dropped unclosed is closed by the garbage collector, which warns: none may have been.
    expect(collectedHandles).toEqual([]);
    // The server still answers.
    expect((await bodyOf(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: small })))).toString()).toBe('small');
  });
});
