import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAccessRules, type AccessRule } from '../../../infra/access-rules/index.ts';
import { startComposedCloud, type ComposedCloud, type SignedInIdentity } from '../local-cloud/composed-cloud.ts';
import { expectServiceError } from '../service-error-assertions.ts';

/**
 * The default locations with guests allowed (docs/locations.md), through the real SDK against
 * the composed local cloud: each location reached and refused exactly as its rule says, and
 * every way around it tried (batches, copy sources, multipart into another prefix, crafted
 * listings).
 */
describe('the default locations, with guests', () => {
  let composed: ComposedCloud;
  let bucket: string;
  let alice: SignedInIdentity;
  let bob: SignedInIdentity;
  let carol: SignedInIdentity;
  let guest: SignedInIdentity;
  let workDirectory: string | undefined;
  const protectedOf = (who: SignedInIdentity) => `protected/${who.identityId}/`;
  const publicOf = (who: SignedInIdentity) => `public/${who.identityId}/`;

  beforeAll(async () => {
    // Nobody may write shared/ under the default rules: an admin's earlier deployment (the same
    // state, a rule that let signed-in identities write there) leaves the handbook behind.
    workDirectory = await mkdtemp(join(tmpdir(), 'locations-'));
    const stateDirectory = join(workDirectory, 'state');
    const publishing = defaultAccessRules({ allowGuests: true }).map((rule): AccessRule => (rule.name === 'shared' ? { ...rule, grants: { authenticated: ['read', 'write', 'list'] } } : rule));
    const seeding = await startComposedCloud({ stateDirectory, stack: { allowGuests: true, accessRules: publishing } });
    const publisher = await seeding.signIn('publisher');
    await publisher.s3.send(new PutObjectCommand({ Bucket: seeding.bucket, Key: 'shared/handbook.pdf', Body: 'the handbook' }));
    await seeding.close();

    composed = await startComposedCloud({ stateDirectory, stack: { allowGuests: true } });
    bucket = composed.bucket;
    [alice, bob, carol, guest] = await Promise.all([
      composed.signIn('alice', { tags: { tenant: 'acme' } }),
      composed.signIn('bob', { tags: { tenant: 'globex' } }),
      composed.signIn('carol'),
      composed.signInAsGuest(),
    ]);
    await put(alice, `${alice.prefix}secret.txt`, 'alice private');
    await put(alice, `${protectedOf(alice)}photo.jpg`, 'alice protected');
    await put(alice, `${publicOf(alice)}poster.png`, 'alice public');
    await put(alice, 'tenants/acme/plan.txt', 'acme plan');
    await put(guest, `${guest.prefix}draft.txt`, 'guest draft');
  });
  afterAll(async () => {
    await composed?.close();
    if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
  });

  const put = (who: SignedInIdentity, key: string, body = 'x') => who.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const get = async (who: SignedInIdentity, key: string) => (await who.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  const remove = (who: SignedInIdentity, key: string) => who.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  const list = (who: SignedInIdentity, prefix: string | undefined, delimiter?: string) => who.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter }));
  const listedKeys = async (who: SignedInIdentity, prefix: string) => ((await list(who, prefix)).Contents ?? []).map((object) => object.Key);
  const denied = (call: Promise<unknown>) => expectServiceError(call, 'AccessDenied', 403);
  const copy = (who: SignedInIdentity, from: string, to: string) => who.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: `${bucket}/${encodeURIComponent(from)}` }));

  it('publishes the five default locations and guests in the outputs file', () => {
    expect(composed.cloud.outputs.guestsAllowed).toBe(true);
    expect(composed.cloud.outputs.locations.map((location) => `${location.name} ${location.prefix}`)).toEqual([
      'private users/{identityId}/',
      'protected protected/{identityId}/',
      'shared shared/',
      'team tenants/{tag:tenant}/',
      'public public/{identityId}/',
    ]);
  });

  describe('private', () => {
    it('is the owner\'s for every operation, and nobody else\'s', async () => {
      expect(await get(alice, `${alice.prefix}secret.txt`)).toBe('alice private');
      expect(await listedKeys(alice, alice.prefix)).toContain(`${alice.prefix}secret.txt`);
      for (const other of [bob, carol, guest]) {
        await denied(get(other, `${alice.prefix}secret.txt`));
        await denied(put(other, `${alice.prefix}secret.txt`, 'overwritten'));
        await denied(remove(other, `${alice.prefix}secret.txt`));
        await denied(list(other, alice.prefix));
      }
      expect(await get(alice, `${alice.prefix}secret.txt`)).toBe('alice private');
    });

    it('gives a guest a private folder of its own', async () => {
      expect(await get(guest, `${guest.prefix}draft.txt`)).toBe('guest draft');
      expect(await listedKeys(guest, guest.prefix)).toEqual([`${guest.prefix}draft.txt`]);
      await put(guest, `${guest.prefix}scratch.txt`);
      await remove(guest, `${guest.prefix}scratch.txt`);
      for (const other of [alice, bob]) {
        await denied(get(other, `${guest.prefix}draft.txt`));
        await denied(list(other, guest.prefix));
      }
    });
  });

  describe('shared', () => {
    it('is readable and listable by every signed-in identity and writable by nobody', async () => {
      await put(carol, `${carol.prefix}x.txt`);
      for (const who of [alice, carol]) {
        expect(await get(who, 'shared/handbook.pdf')).toBe('the handbook');
        expect(await listedKeys(who, 'shared/')).toEqual(['shared/handbook.pdf']);
        await denied(put(who, 'shared/handbook.pdf', 'overwritten'));
        await denied(remove(who, 'shared/handbook.pdf'));
        await denied(copy(who, `${carol.prefix}x.txt`, 'shared/copied.txt'));
        await denied(who.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'shared/big.bin' })));
      }
      await copy(carol, 'shared/handbook.pdf', `${carol.prefix}handbook.pdf`);
      expect(await get(carol, `${carol.prefix}handbook.pdf`)).toBe('the handbook');
      expect(await get(alice, 'shared/handbook.pdf')).toBe('the handbook');
    });

    it('is closed to guests', async () => {
      await denied(get(guest, 'shared/handbook.pdf'));
      await denied(list(guest, 'shared/'));
      await denied(copy(guest, 'shared/handbook.pdf', `${guest.prefix}handbook.pdf`));
    });
  });

  describe('team', () => {
    it('is read/write for the tenant\'s members and refused to another tenant, no tenant and guests', async () => {
      expect(await get(alice, 'tenants/acme/plan.txt')).toBe('acme plan');
      expect(await listedKeys(alice, 'tenants/acme/')).toEqual(['tenants/acme/plan.txt']);
      for (const outsider of [bob, carol, guest]) {
        await denied(get(outsider, 'tenants/acme/plan.txt'));
        await denied(put(outsider, 'tenants/acme/plan.txt', 'hijacked'));
        await denied(list(outsider, 'tenants/acme/'));
        await denied(copy(outsider, 'tenants/acme/plan.txt', `${outsider.prefix}stolen.txt`));
      }
      await denied(list(alice, 'tenants/'));
      await denied(list(alice, 'tenants/acme'));
      expect(await get(alice, 'tenants/acme/plan.txt')).toBe('acme plan');
    });
  });

  describe('protected', () => {
    it('lets every signed-in identity read and list a folder by naming its identity', async () => {
      for (const reader of [bob, carol]) {
        expect(await get(reader, `${protectedOf(alice)}photo.jpg`)).toBe('alice protected');
        expect(await listedKeys(reader, protectedOf(alice))).toEqual([`${protectedOf(alice)}photo.jpg`]);
        expect(await listedKeys(reader, `${protectedOf(alice)}ph`)).toEqual([`${protectedOf(alice)}photo.jpg`]);
        expect((await list(reader, protectedOf(alice), '/')).Contents?.map((object) => object.Key)).toEqual([`${protectedOf(alice)}photo.jpg`]);
      }
    });

    it('lets only the owner write and delete there', async () => {
      const key = `${protectedOf(alice)}notes.txt`;
      await put(alice, key, 'mine');
      await denied(put(bob, key, 'overwritten'));
      await denied(put(bob, `${protectedOf(alice)}planted.txt`, 'planted'));
      await denied(remove(bob, key));
      await denied(copy(bob, `${bob.prefix}x.txt`, `${protectedOf(alice)}copied.txt`));
      expect(await get(carol, key)).toBe('mine');
      await remove(alice, key);
      expect(await listedKeys(bob, protectedOf(alice))).not.toContain(key);
    });

    it('refuses another identity\'s keys in a DeleteObjects batch, key by key', async () => {
      await put(bob, `${protectedOf(bob)}one.txt`);
      const response = await bob.s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: `${protectedOf(bob)}one.txt` }, { Key: `${protectedOf(alice)}photo.jpg` }, { Key: `${alice.prefix}secret.txt` }] } }),
      );
      expect(response.Deleted?.map((entry) => entry.Key)).toEqual([`${protectedOf(bob)}one.txt`]);
      expect(response.Errors?.map((entry) => [entry.Key, entry.Code])).toEqual([
        [`${protectedOf(alice)}photo.jpg`, 'AccessDenied'],
        [`${alice.prefix}secret.txt`, 'AccessDenied'],
      ]);
      expect(await get(alice, `${protectedOf(alice)}photo.jpg`)).toBe('alice protected');
    });

    it('is a readable copy source into the reader\'s own folder, and private folders are not', async () => {
      await copy(bob, `${protectedOf(alice)}photo.jpg`, `${bob.prefix}copy-of-alice.jpg`);
      expect(await get(bob, `${bob.prefix}copy-of-alice.jpg`)).toBe('alice protected');
      await denied(copy(bob, `${alice.prefix}secret.txt`, `${protectedOf(bob)}stolen.txt`));
      await denied(copy(bob, `${alice.prefix}secret.txt`, `${bob.prefix}stolen.txt`));
    });

    it('keeps multipart uploads with the owner: no upload into another folder, no touching the owner\'s', async () => {
      await denied(bob.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${protectedOf(alice)}big.bin` })));
      const key = `${protectedOf(alice)}pending.bin`;
      const { UploadId } = await alice.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const { ETag } = await alice.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'part one' }));
      await denied(bob.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, Body: 'planted' })));
      await denied(bob.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId })));
      await denied(bob.s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } })));
      await denied(bob.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })));
      const { Parts } = await alice.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }));
      expect(Parts?.map((part) => part.PartNumber)).toEqual([1]);

      // A multipart copy out of a readable protected file into the own folder works; out of a private one it does not.
      const own = `${bob.prefix}assembled.bin`;
      const upload = await bob.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: own }));
      await bob.s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: own, UploadId: upload.UploadId, PartNumber: 1, CopySource: `${bucket}/${encodeURIComponent(`${protectedOf(alice)}photo.jpg`)}` }));
      await denied(bob.s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: own, UploadId: upload.UploadId, PartNumber: 2, CopySource: `${bucket}/${encodeURIComponent(`${alice.prefix}secret.txt`)}` })));
      await alice.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
      await bob.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: own, UploadId: upload.UploadId }));
    });

    it('denies every listing that does not name a whole identity segment, so identity ids cannot be enumerated', async () => {
      const crafted: Array<[string | undefined, string | undefined]> = [
        ['protected/', undefined],
        ['protected/', '/'],
        ['protected', undefined],
        ['protected', '/'],
        ['protected/us-', undefined],
        ['protected/us-east-1:', undefined],
        [`protected/${alice.identityId.slice(0, 12)}`, undefined],
        [`protected/${alice.identityId}`, undefined],
        [`protected/${alice.identityId}`, '/'],
        ['protected/*', undefined],
        ['protected/?', undefined],
        ['protected//', undefined],
        ['', undefined],
        ['', '/'],
        [undefined, undefined],
        [undefined, '/'],
      ];
      for (const who of [bob, carol, alice, guest]) {
        for (const [prefix, delimiter] of crafted) await denied(list(who, prefix, delimiter));
      }
    });

    it('answers a listing with a literal star or an empty identity segment only with keys of that literal prefix', async () => {
      // `protected/*/` names the identity "*", which no identity is: S3 prefixes are literals, not patterns.
      expect(await listedKeys(bob, 'protected/*/')).toEqual([]);
      expect(await listedKeys(bob, 'protected///')).toEqual([]);
    });

    it('keeps the owner\'s write exact: identity abc never writes in abcd', async () => {
      await denied(put(alice, `protected/${alice.identityId}0/x.txt`));
      await denied(put(alice, `protected/${alice.identityId.slice(0, -1)}/x.txt`));
      await denied(put(alice, `protected/${alice.identityId}`));
    });

    it('is closed to guests entirely', async () => {
      await denied(get(guest, `${protectedOf(alice)}photo.jpg`));
      await denied(list(guest, protectedOf(alice)));
      await denied(put(guest, `${protectedOf(alice)}x.txt`));
      await denied(put(guest, `protected/${guest.identityId}/x.txt`));
    });
  });

  describe('public', () => {
    it('is readable and listable by guests and signed-in identities by naming the owner, and written only by its owner', async () => {
      for (const reader of [guest, bob]) {
        expect(await get(reader, `${publicOf(alice)}poster.png`)).toBe('alice public');
        expect(await listedKeys(reader, publicOf(alice))).toEqual([`${publicOf(alice)}poster.png`]);
        await denied(put(reader, `${publicOf(alice)}poster.png`, 'defaced'));
        await denied(remove(reader, `${publicOf(alice)}poster.png`));
        for (const prefix of ['public/', 'public', 'public/us-', `public/${alice.identityId}`, '']) await denied(list(reader, prefix));
      }
      expect(await get(alice, `${publicOf(alice)}poster.png`)).toBe('alice public');
    });

    it('gives a guest no public folder to write (guests only read there)', async () => {
      await denied(put(guest, `${publicOf(guest)}mine.txt`));
      await denied(guest.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${publicOf(guest)}mine.bin` })));
    });
  });

  describe('guests against signed-in identities', () => {
    it('cannot reach a signed-in user\'s private or protected folder by any operation', async () => {
      const targets = [`${alice.prefix}secret.txt`, `${protectedOf(alice)}photo.jpg`];
      for (const key of targets) {
        await denied(get(guest, key));
        await denied(put(guest, key, 'guest was here'));
        await denied(remove(guest, key));
        await denied(copy(guest, key, `${guest.prefix}stolen.txt`));
      }
      const batch = await guest.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: targets.map((Key) => ({ Key })) } }));
      expect(batch.Deleted ?? []).toEqual([]);
      expect(batch.Errors?.map((entry) => entry.Code)).toEqual(['AccessDenied', 'AccessDenied']);
      await denied(list(guest, alice.prefix));
      await denied(list(guest, 'users/'));
      expect(await get(alice, `${alice.prefix}secret.txt`)).toBe('alice private');
    });
  });
});
