import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { expectServiceError } from '../service-error-assertions.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

const MiB = 1024 * 1024;

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(() => s3.close());

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

describe('multipart uploads with lib-storage', () => {
  test('Upload sends a 12 MiB body in 5 MiB parts; the object has the md5-of-md5s ETag and reads back intact', async () => {
    const body = randomBytes(12 * MiB);
    const key = `${s3.alice.prefix}big/twelve.bin`;
    const progress: number[] = [];
    const upload = new Upload({ client: s3.alice.client, params: { Bucket: BUCKET, Key: key, Body: body, ContentType: 'application/x-test' }, partSize: 5 * MiB, queueSize: 2 });
    upload.on('httpUploadProgress', (event) => progress.push(event.loaded ?? 0));
    const result = await upload.done();
    const partMd5s = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB, 10 * MiB), body.subarray(10 * MiB)].map((part) => Buffer.from(md5(part), 'hex'));
    expect(result.ETag).toBe(`"${md5(Buffer.concat(partMd5s))}-3"`);
    expect(progress.at(-1)).toBe(12 * MiB);

    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect(head.ContentLength).toBe(12 * MiB);
    expect(head.ContentType).toBe('application/x-test');
    expect(head.ChecksumCRC32).toMatch(/-3$/);
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(md5(Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()))).toBe(md5(body));
    const middle = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${5 * MiB - 3}-${5 * MiB + 2}` }));
    expect(Buffer.from(await (middle.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).toEqual(body.subarray(5 * MiB - 3, 5 * MiB + 3));
  });

  test('Upload onto the other identity prefix is AccessDenied', async () => {
    const upload = new Upload({ client: s3.alice.client, params: { Bucket: BUCKET, Key: `${s3.bob.prefix}big/planted.bin`, Body: randomBytes(6 * MiB) }, partSize: 5 * MiB });
    await expectServiceError(upload.done(), 'AccessDenied', 403);
  });
});

describe('multipart operations one by one', () => {
  test('Create, UploadPart, ListParts, ListMultipartUploads, then a restart, then Complete', async () => {
    const key = `${s3.alice.prefix}resumable/video.bin`;
    const parts = [randomBytes(5 * MiB), randomBytes(1024)];
    const created = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, Metadata: { purpose: 'resume' } }));
    const uploadId = created.UploadId as string;
    const first = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 1, Body: parts[0] }));
    expect(first.ETag).toBe(`"${md5(parts[0] as Buffer)}"`);

    const listedUploads = await s3.alice.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: s3.alice.prefix }));
    expect(listedUploads.Uploads?.map((upload) => upload.UploadId)).toContain(uploadId);
    await expectServiceError(s3.alice.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: s3.bob.prefix })), 'AccessDenied', 403);

    await s3.restart();

    const listedParts = await s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(listedParts.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag])).toEqual([[1, 5 * MiB, first.ETag]]);
    await expectServiceError(s3.bob.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })), 'AccessDenied', 403);

    const second = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 2, Body: parts[1] }));
    await expectServiceError(
      s3.alice.client.send(
        new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: second.ETag }, { PartNumber: 1, ETag: first.ETag }] } }),
      ),
      'InvalidPartOrder',
      400,
    );
    await expectServiceError(
      s3.alice.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] } })),
      'InvalidPart',
      400,
    );
    const completed = await s3.alice.client.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.ETag }, { PartNumber: 2, ETag: second.ETag }] } }),
    );
    expect(completed.ETag).toMatch(/-2"$/);
    expect(completed.Key).toBe(key);
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(got.Metadata).toEqual({ purpose: 'resume' });
    expect(md5(Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()))).toBe(md5(Buffer.concat(parts)));
    await expectServiceError(s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })), 'NoSuchUpload', 404);
  });

  test('parts other than the last under 5 MiB are EntityTooSmall; part numbers outside 1..10000 are InvalidArgument', async () => {
    const key = `${s3.alice.prefix}small-parts.bin`;
    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const one = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'tiny' }));
    const two = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: 'tiny' }));
    await expectServiceError(
      s3.alice.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }] } })),
      'EntityTooSmall',
      400,
    );
    await expectServiceError(s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 10001, Body: 'x' })), 'InvalidArgument', 400);
    await s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
    await expectServiceError(s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 3, Body: 'x' })), 'NoSuchUpload', 404);
    await expectServiceError(s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId })), 'NoSuchUpload', 404);
  });

  test('the other identity cannot upload parts, complete or abort an upload on this prefix', async () => {
    const key = `${s3.alice.prefix}guarded.bin`;
    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    await expectServiceError(s3.bob.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'x' })), 'AccessDenied', 403);
    await expectServiceError(s3.bob.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId })), 'AccessDenied', 403);
    await expectServiceError(
      s3.bob.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } })),
      'AccessDenied',
      403,
    );
    await expectServiceError(s3.bob.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key })), 'AccessDenied', 403);
    await s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
  });

  test('UploadPartCopy copies a byte range of an own object, and is denied from the other prefix', async () => {
    const source = `${s3.alice.prefix}copy-source.bin`;
    const sourceBody = randomBytes(6 * MiB);
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: source, Body: sourceBody }));
    const key = `${s3.alice.prefix}assembled.bin`;
    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const copied = await s3.alice.client.send(
      new UploadPartCopyCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, CopySource: `${BUCKET}/${source}`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }),
    );
    const tail = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: 'tail' }));
    await s3.alice.client.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult?.ETag }, { PartNumber: 2, ETag: tail.ETag }] } }),
    );
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    expect(md5(bytes)).toBe(md5(Buffer.concat([sourceBody.subarray(0, 5 * MiB), Buffer.from('tail')])));

    await s3.bob.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.bob.prefix}secret.bin`, Body: 'secret' }));
    const other = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}steal.bin` }));
    await expectServiceError(
      s3.alice.client.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}steal.bin`, UploadId: other.UploadId, PartNumber: 1, CopySource: `${BUCKET}/${s3.bob.prefix}secret.bin` })),
      'AccessDenied',
      403,
    );
  });

  test('UploadPartCopy with a range past the end of the source is 400 InvalidArgument naming the source size, as on S3; a malformed range is InvalidArgument too', async () => {
    const source = `${s3.alice.prefix}short-source.bin`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: source, Body: '0123456789' }));
    const key = `${s3.alice.prefix}short-copy.bin`;
    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const copyPart = (range: string) =>
      s3.alice.client.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, CopySource: `${BUCKET}/${source}`, CopySourceRange: range }));
    for (const range of ['bytes=0-10', 'bytes=10-12', 'bytes=5-100']) {
      const error = await expectServiceError(copyPart(range), 'InvalidArgument', 400);
      expect(error.message).toBe('Range specified is not valid for source object of size: 10');
    }
    for (const range of ['bytes=5-2', 'bytes=0-', 'bytes=-3', 'items=0-1']) {
      const error = await expectServiceError(copyPart(range), 'InvalidArgument', 400);
      expect(error.message).toMatch(/^The x-amz-copy-source-range value must be of the form bytes=first-last/);
    }
    const last = await copyPart('bytes=9-9');
    expect(last.CopyPartResult?.ETag).toBe(`"${md5(Buffer.from('9'))}"`);
    await s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
  });

  test('If-None-Match: * on CompleteMultipartUpload refuses to overwrite an existing object', async () => {
    const key = `${s3.alice.prefix}exists.bin`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'already here' }));
    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const part = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'new' }));
    await expectServiceError(
      s3.alice.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } })),
      'PreconditionFailed',
      412,
    );
  });

  test('no temporary files remain after all of the above', async () => {
    expect(await unreferencedBlobs(s3.dataDirectory)).toEqual([]);
  });
});
