import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { expectServiceError } from '../service-error-assertions.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(() => s3.close());

/** S3 numbers parts 1 to 10,000; the client's part plan relies on the server refusing anything else. */
describe('UploadPart part numbers through the SDK', () => {
  test('accepts part 10000 and refuses 10001 and 0 with InvalidArgument, storing nothing for them', async () => {
    const key = `${s3.alice.prefix}limits/parts.bin`;
    const { UploadId } = await s3.alice.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const last = await s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 10_000, Body: 'the last part' }));
    expect(last.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    for (const partNumber of [10_001, 0]) {
      const error = await expectServiceError(s3.alice.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: partNumber, Body: 'one too many' })), 'InvalidArgument', 400);
      expect(error.message).toBe('Part number must be an integer between 1 and 10000, inclusive');
    }

    const { Parts } = await s3.alice.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(Parts?.map((part) => part.PartNumber)).toEqual([10_000]);
    await s3.alice.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
  });
});
