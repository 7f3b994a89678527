import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LookupDeveloperIdentityCommand } from '@aws-sdk/client-cognito-identity';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComposedCloud, type ComposedCloud } from './composed-cloud.ts';
import { expectServiceError } from '../service-error-assertions.ts';

const MIB = 1024 * 1024;
const PART_SIZES = [5 * MIB, 5 * MIB, 5 * MIB, 1234];

/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-<part count>`. */
function multipartEtag(parts: Buffer[]): string {
  const digests = parts.map((part) => createHash('md5').update(part).digest());
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${parts.length}"`;
}

/**
 * A multipart upload spanning a restart of the composed local cloud: parts sent before the
 * restart stay, the pool and its identities keep their ids, objects survive.
 */
describe('restart of the local cloud over the same state', () => {
  let stateDirectory: string;
  let cloud: ComposedCloud | undefined;
  const parts = PART_SIZES.map((size) => randomBytes(size));
  const key = (identityId: string) => `users/${identityId}/video.bin`;

  const before = { identityPoolId: '', aliceId: '', bobId: '', aliceToken: '', uploadId: '', etags: [] as string[] };

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'restart-cloud-'));
    const first = await startComposedCloud({ stateDirectory });
    try {
      const alice = await first.signIn('alice', { tags: { tenant: 'acme' } });
      const bob = await first.signIn('bob');
      await alice.s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: `${alice.prefix}kept.txt`, Body: 'from before the restart' }));
      const { UploadId } = await alice.s3.send(new CreateMultipartUploadCommand({ Bucket: first.bucket, Key: key(alice.identityId), ContentType: 'video/mp4' }));
      for (const partNumber of [1, 2]) {
        const response = await alice.s3.send(new UploadPartCommand({ Bucket: first.bucket, Key: key(alice.identityId), UploadId, PartNumber: partNumber, Body: parts[partNumber - 1] }));
        before.etags[partNumber - 1] = response.ETag!;
      }
      Object.assign(before, { identityPoolId: first.cloud.outputs.identityPoolId, aliceId: alice.identityId, bobId: bob.identityId, aliceToken: alice.token, uploadId: UploadId! });
    } finally {
      await first.close();
    }
    cloud = await startComposedCloud({ stateDirectory });
  });
  afterAll(async () => {
    await cloud?.close();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('keeps the identity pool id and every identity', async () => {
    expect(cloud!.cloud.outputs.identityPoolId).toBe(before.identityPoolId);
    expect((await cloud!.openIdToken('alice')).identityId).toBe(before.aliceId);
    const lookup = await cloud!.developer.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: before.identityPoolId, DeveloperUserIdentifier: 'bob' }));
    expect(lookup.IdentityId).toBe(before.bobId);
    expect((await cloud!.openIdToken('dave')).identityId).not.toMatch(new RegExp(`^(${before.aliceId}|${before.bobId})$`));
  });

  it('still accepts an OpenID token issued before the restart (its signing key survived)', async () => {
    const credentials = await cloud!.exchange(before.aliceId, before.aliceToken);
    expect(credentials.accessKeyId).toMatch(/^ASIA/);
  });

  it('keeps objects', async () => {
    const alice = await cloud!.signIn('alice', { tags: { tenant: 'acme' } });
    const response = await alice.s3.send(new GetObjectCommand({ Bucket: cloud!.bucket, Key: `${alice.prefix}kept.txt` }));
    expect(await response.Body!.transformToString()).toBe('from before the restart');
  });

  it('finishes the multipart upload started before the restart with fresh credentials', async () => {
    const alice = await cloud!.signIn('alice', { tags: { tenant: 'acme' } });
    const { bucket } = cloud!;
    const objectKey = key(alice.identityId);
    const listed = await alice.s3.send(new ListPartsCommand({ Bucket: bucket, Key: objectKey, UploadId: before.uploadId }));
    expect(listed.Parts?.map((part) => [part.PartNumber, part.ETag, part.Size])).toEqual([
      [1, before.etags[0], PART_SIZES[0]],
      [2, before.etags[1], PART_SIZES[1]],
    ]);

    const etags = [...before.etags];
    for (const partNumber of [3, 4]) {
      const response = await alice.s3.send(new UploadPartCommand({ Bucket: bucket, Key: objectKey, UploadId: before.uploadId, PartNumber: partNumber, Body: parts[partNumber - 1] }));
      etags[partNumber - 1] = response.ETag!;
    }
    const completed = await alice.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: objectKey,
        UploadId: before.uploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) },
      }),
    );
    expect(completed.ETag).toBe(multipartEtag(parts));

    const object = await alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
    expect(object.ETag).toBe(multipartEtag(parts));
    expect(object.ContentType).toBe('video/mp4');
    expect(object.ContentLength).toBe(PART_SIZES.reduce((sum, size) => sum + size, 0));
    const body = Buffer.from(await object.Body!.transformToByteArray());
    expect(body.equals(Buffer.concat(parts))).toBe(true);
    await expectServiceError(alice.s3.send(new ListPartsCommand({ Bucket: bucket, Key: objectKey, UploadId: before.uploadId })), 'NoSuchUpload', 404);
  });
});
