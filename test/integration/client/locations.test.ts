import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type ScopedStorageClient, type StorageLocation } from '../../../app/library/index.ts';
import { createNodeStorageClient } from '../../../app/library/node/create-node-storage-client.ts';
import { defaultAccessRules, type AccessRule } from '../../../infra/access-rules/index.ts';
import { startMainJob, type RunningMainJob } from '../../../infra/local/main-job.ts';
import { countCommands, expectStorageError } from './client-assertions.ts';
import { developmentSessionToken } from './main-job-fixture.ts';

const MIB = 1024 * 1024;
type ClientOptions = Omit<Parameters<typeof createNodeStorageClient>[1], 'getSessionToken'>;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function text(client: ScopedStorageClient, location: string | undefined, key: string): Promise<string> {
  return (await readAll((await client.download(location, key)).body)).toString();
}



async function listAll(client: ScopedStorageClient, location: string | undefined, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of client.list({ location, prefix })) keys.push(object.key);
  return keys;
}

/**
 * The library's locations against `npm start` (local cloud with guests, token service, page): each
 * default location reached and refused as its rule says, through the library and around it.
 */
describe('locations through the client library', () => {
  let workDirectory: string;
  let job: RunningMainJob;
  let caCertificate: Buffer;
  let bucket: string;
  let alice: ScopedStorageClient;
  let bob: ScopedStorageClient;
  let carol: ScopedStorageClient;
  let dave: ScopedStorageClient;
  let aliceId: string;

  const sessionFor = (user: string, tenant?: string) => developmentSessionToken(job.tokenService.url, user, tenant);
  const clientFor = async (user: string, tenant?: string, options: ClientOptions = {}) => {
    const sessionToken = await sessionFor(user, tenant);
    return createNodeStorageClient(job.cloud.outputsPath, { ...options, getSessionToken: () => sessionToken });
  };
  const guestClient = (options: ClientOptions = {}) => createNodeStorageClient(job.cloud.outputsPath, options);
  const fetchLink = (url: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      request(url, { ca: caCertificate, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });

  beforeAll(async () => {
    workDirectory = await mkdtemp(join(tmpdir(), 'client-locations-'));
    const stateDirectory = join(workDirectory, 'state');
    // Nobody may write shared/ under the default rules: an earlier deployment on the same state,
    // whose shared rule let signed-in identities write, leaves the handbook there (via the library).
    const publishing = defaultAccessRules({ allowGuests: true }).map((rule): AccessRule => (rule.name === 'shared' ? { ...rule, grants: { authenticated: ['read', 'write', 'list'] } } : rule));
    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { accessRules: publishing }, tokenServiceLog: false });
    const publisher = await clientFor('publisher');
    expect((await publisher.location('shared')).permissions).toEqual(['read', 'write', 'list']);
    await publisher.upload('shared', 'handbook.txt', 'the handbook', { contentType: 'text/plain' });
    await job.close();

    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, tokenServiceLog: false });
    caCertificate = await readFile(job.cloud.caCertificatePath);
    bucket = job.cloud.outputs.bucket;
    [alice, bob, carol, dave] = await Promise.all([clientFor('alice', 'acme'), clientFor('bob', 'acme'), clientFor('carol', 'globex'), clientFor('dave')]);
    aliceId = (await alice.whoami()).identityId;
  });
  afterAll(async () => {
    await job?.close();
    if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
  });

  describe('which locations an identity has', () => {
    it('a tenant member: private (default), protected, shared, team, public, resolved with its id and tag', async () => {
      const locations = await alice.locations();
      expect(locations.map((location) => [location.name, location.kind, location.prefix, location.permissions.join(' '), location.isDefault])).toEqual([
        ['private', 'private', `users/${aliceId}/`, 'read write delete list', true],
        ['protected', 'protected', 'protected/', 'read list', false],
        ['shared', 'shared', 'shared/', 'read list', false],
        ['team', 'tenant', 'tenants/acme/', 'read write delete list', false],
        ['public', 'protected', 'public/', 'read list', false],
      ]);
      expect(locations[1]!.ownFolder).toEqual({ identityId: aliceId, permissions: ['read', 'write', 'delete', 'list'] });
      expect(locations[3]!.tag).toEqual({ key: 'tenant', value: 'acme' });
      expect(await alice.whoami()).toMatchObject({ identityId: aliceId, isGuest: false, principalTags: { tenant: 'acme' }, prefix: `users/${aliceId}/` });
    });

    it('without a tenant there is no team; another tenant resolves to its own prefix', async () => {
      expect((await dave.locations()).map((location) => location.name)).toEqual(['private', 'protected', 'shared', 'public']);
      expect((await dave.whoami()).principalTags).toEqual({});
      expect((await carol.location('team')).prefix).toBe('tenants/globex/');
      await expectStorageError(dave.upload('team', 'x.txt', 'x'), 'InvalidLocation');
      const unknown = await expectStorageError(alice.download('nowhere', 'x.txt'), 'InvalidLocation');
      expect(unknown.message).toBe('There is no location "nowhere" (yours: private, protected, shared, team, public).');
    });
  });

  describe('each default location, reached and refused', () => {
    it('own: bare keys and "private" are the same place, unreachable by others', async () => {
      await alice.upload('notes/today.txt', 'mine');
      expect(await text(alice, 'private', 'notes/today.txt')).toBe('mine');
      expect(await listAll(alice, undefined, 'notes/')).toEqual(['notes/today.txt']);
      const raw = await bob.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `users/${aliceId}/notes/today.txt` })).catch((error: unknown) => error);
      expect((raw as { name?: string }).name).toBe('AccessDenied');
    });

    it('shared: read and list for everyone signed in; a write is refused locally (InvalidLocation) and, around the library, by S3', async () => {
      expect(await text(bob, 'shared', 'handbook.txt')).toBe('the handbook');
      expect((await bob.listFolder({ location: 'shared' })).files.map((file) => file.key)).toEqual(['handbook.txt']);
      const counts = countCommands(bob);
      const refused = await expectStorageError(bob.upload('shared', 'handbook.txt', 'overwritten'), 'InvalidLocation');
      expect(refused.message).toBe('writing shared:handbook.txt is not allowed: the location "shared" allows only read, list there.');
      await expectStorageError(bob.remove('shared', 'handbook.txt'), 'InvalidLocation');
      await expectStorageError(bob.createFolder('shared', 'mine'), 'InvalidLocation');
      expect(counts.get('PutObjectCommand') ?? 0).toBe(0);
      expect(counts.get('DeleteObjectCommand') ?? 0).toBe(0);
      // A StorageLocation with inflated permissions is looked up again by name, not trusted.
      const inflated: StorageLocation = { ...(await bob.location('shared')), permissions: ['read', 'write', 'delete', 'list'] };
      await expectStorageError(bob.upload(inflated, 'handbook.txt', 'overwritten'), 'InvalidLocation');
      const raw = await bob.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'shared/handbook.txt', Body: 'overwritten' })).catch((error: unknown) => error);
      expect((raw as { name?: string }).name).toBe('AccessDenied');
      expect(await text(alice, 'shared', 'handbook.txt')).toBe('the handbook');
    });

    it('tenant: members read and write each other\'s files; another tenant cannot reach them', async () => {
      await alice.upload('team', 'plans/q3.txt', 'acme q3');
      expect(await text(bob, 'team', 'plans/q3.txt')).toBe('acme q3');
      await bob.upload('team', 'plans/q3.txt', 'acme q3, edited by bob');
      expect(await text(alice, 'team', 'plans/q3.txt')).toBe('acme q3, edited by bob');
      // Carol's team is globex's: the same relative key is another object.
      await expectStorageError(carol.download('team', 'plans/q3.txt'), 'NotFound');
      const raw = await carol.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'tenants/acme/plans/q3.txt' })).catch((error: unknown) => error);
      expect((raw as { name?: string }).name).toBe('AccessDenied');
      const prefixConfusion = await carol.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tenants/globexx/x.txt', Body: 'x' })).catch((error: unknown) => error);
      expect((prefixConfusion as { name?: string }).name).toBe('AccessDenied');
    });

    it('protected: others read an owner\'s folder by looking the owner up; only the owner writes; the root is never listed', async () => {
      await alice.upload('protected', `${aliceId}/photo.jpg`, 'alice photo');
      const found = await bob.lookupIdentity('alice');
      expect(found).toEqual({ userId: 'alice', identityId: aliceId });
      expect(await text(bob, 'protected', `${found.identityId}/photo.jpg`)).toBe('alice photo');
      expect((await bob.listFolder({ location: 'protected', prefix: found.identityId })).files.map((file) => file.key)).toEqual([`${aliceId}/photo.jpg`]);
      const write = await expectStorageError(bob.upload('protected', `${aliceId}/photo.jpg`, 'defaced'), 'InvalidLocation');
      expect(write.message).toContain('allows only read, list');
      await expectStorageError(bob.remove('protected', `${aliceId}/photo.jpg`), 'InvalidLocation');
      const raw = await bob.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `protected/${aliceId}/photo.jpg`, Body: 'defaced' })).catch((error: unknown) => error);
      expect((raw as { name?: string }).name).toBe('AccessDenied');
      const root = await expectStorageError(bob.listFolder({ location: 'protected' }), 'InvalidLocation');
      expect(root.message).toContain('cannot be listed as a whole');
      await expectStorageError(bob.download('protected', 'photo.jpg'), 'InvalidKey');
      // A missing key in a folder the caller may list is NotFound, not AccessDenied.
      await expectStorageError(bob.download('protected', `${aliceId}/missing.jpg`), 'NotFound');
      await expectStorageError(bob.lookupIdentity('nobody-signed-in-as-this'), 'NotFound');
      expect(await text(alice, 'protected', `${aliceId}/photo.jpg`)).toBe('alice photo');
    });
  });

  describe('guests', () => {
    it('a guest has a private folder and reads public; resuming its id keeps its files; signIn links it to the user', async () => {
      await alice.upload('public', `${aliceId}/poster.txt`, 'alice poster');
      const guest = await guestClient();
      const identity = await guest.whoami();
      expect(identity).toMatchObject({ isGuest: true, principalTags: {}, prefix: `users/${identity.identityId}/` });
      expect((await guest.locations()).map((location) => location.name)).toEqual(['private', 'public']);
      await guest.upload('draft.txt', 'guest draft');
      expect(await text(guest, 'public', `${aliceId}/poster.txt`)).toBe('alice poster');
      await expectStorageError(guest.upload('public', `${identity.identityId}/mine.txt`, 'x'), 'InvalidLocation');
      await expectStorageError(guest.download('shared', 'handbook.txt'), 'InvalidLocation');
      await expectStorageError(guest.lookupIdentity('alice'), 'SignInRequired');

      const resumed = await guestClient({ guestIdentityId: identity.identityId });
      expect((await resumed.whoami()).identityId).toBe(identity.identityId);
      expect(await text(resumed, undefined, 'draft.txt')).toBe('guest draft');

      const sessionToken = await sessionFor('erin', 'acme');
      const signedIn = await guest.signIn(() => sessionToken);
      expect(signedIn).toEqual({ identityId: identity.identityId, guestLinked: true });
      expect(await guest.whoami()).toMatchObject({ identityId: identity.identityId, isGuest: false, principalTags: { tenant: 'acme' } });
      expect(await text(guest, undefined, 'draft.txt')).toBe('guest draft');
      expect((await guest.locations()).map((location) => location.name)).toEqual(['private', 'protected', 'shared', 'team', 'public']);
      // The identity is signed in now: guest access to it is over.
      await expectStorageError(resumed.credentials.signIn(async () => Promise.reject(new StorageError('SignInRequired', 'no'))), 'SignInRequired');
      await expectStorageError((await guestClient({ guestIdentityId: identity.identityId })).whoami(), 'SignInRequired');
      // A new session of the same user reaches the same identity and files.
      expect(await text(await clientFor('erin', 'acme'), undefined, 'draft.txt')).toBe('guest draft');

      guest.signOut();
      const fresh = await guest.whoami();
      expect(fresh.isGuest).toBe(true);
      expect(fresh.identityId).not.toBe(identity.identityId);
    });

    it('a user with an identity already keeps it; the guest identity is left with its files', async () => {
      const guest = await guestClient();
      const guestId = (await guest.whoami()).identityId;
      await guest.upload('left.txt', 'left behind');
      const sessionToken = await sessionFor('alice', 'acme');
      expect(await guest.signIn(() => sessionToken)).toEqual({ identityId: aliceId, guestLinked: false, abandonedGuestIdentityId: guestId });
      expect(await text(guest, undefined, 'notes/today.txt')).toBe('mine');
    });
  });

  describe('folders and paging', () => {
    it('creates, lists page by page with a nextToken bound to its listing, summarizes and deletes a folder', async () => {
      await alice.createFolder('team', 'reports');
      for (const name of ['a', 'b', 'c', 'd', 'e']) await alice.upload('team', `reports/${name}.txt`, name.repeat(10));
      await alice.createFolder('team', 'reports/2026/');
      await alice.upload('team', 'reports/2026/deep.txt', 'deep');

      const first = await alice.listFolder({ location: 'team', prefix: 'reports', pageSize: 2 });
      const seen = { folders: [...first.folders], files: first.files.map((file) => file.key) };
      let token = first.nextToken;
      let pages = 1;
      expect(token).toBeDefined();
      await expectStorageError(alice.listFolder({ location: 'team', prefix: 'reports/2026', nextToken: token }), 'InvalidArgument');
      await expectStorageError(alice.listFolder({ location: 'private', prefix: 'reports', nextToken: token }), 'InvalidArgument');
      await expectStorageError(bob.listFolder({ location: 'team', prefix: 'reports', recursive: true, nextToken: token }), 'InvalidArgument');
      while (token) {
        const page = await alice.listFolder({ location: 'team', prefix: 'reports/', pageSize: 2, nextToken: token });
        seen.folders.push(...page.folders);
        seen.files.push(...page.files.map((file) => file.key));
        token = page.nextToken;
        pages += 1;
      }
      // Seven entries in pages of two: the folder's own marker (reports/) counts in S3's page, not in the result.
      expect(pages).toBe(4);
      expect(seen).toEqual({ folders: ['reports/2026/'], files: ['reports/a.txt', 'reports/b.txt', 'reports/c.txt', 'reports/d.txt', 'reports/e.txt'] });
      expect((await alice.listFolder({ location: 'team', prefix: 'reports', recursive: true })).files.map((file) => file.key)).toEqual([
        'reports/2026/',
        'reports/2026/deep.txt',
        'reports/a.txt',
        'reports/b.txt',
        'reports/c.txt',
        'reports/d.txt',
        'reports/e.txt',
      ]);
      expect(await bob.summarizeFolder('team', 'reports')).toEqual({ files: 6, bytes: 54, folderMarkers: 2 });

      const progress: Array<{ deleted: number; failed: number }> = [];
      expect(await bob.deleteFolder('team', 'reports/', { onProgress: (event) => progress.push(event) })).toEqual({ deleted: 8, failed: [] });
      expect(progress.at(-1)).toEqual({ deleted: 8, failed: 0 });
      expect(await listAll(alice, 'team', 'reports/')).toEqual([]);
      await expectStorageError(bob.deleteFolder('shared', 'anything'), 'InvalidLocation');
      await expectStorageError(bob.listFolder({ location: 'team', pageSize: 0 }), 'InvalidArgument');
    });

    it("deletes a whole location ('' or no path): only its own prefix, and never a protected location's top or one without delete", async () => {
      const [ivan, judy, mallory] = await Promise.all([clientFor('ivan', 'initech'), clientFor('judy', 'initech'), clientFor('mallory', 'initechs')]);
      await Promise.all(['a.txt', 'plans/b.txt', 'plans/deep/c.txt'].map((key) => ivan.upload('team', key, 'xyz')));
      await ivan.createFolder('team', 'empty');
      await mallory.upload('team', 'kept.txt', 'not initech');
      await judy.upload(undefined, 'mine.txt', 'judy');
      expect(await judy.summarizeFolder('team', '')).toEqual({ files: 3, bytes: 9, folderMarkers: 1 });
      expect(await judy.summarizeFolder('team')).toEqual({ files: 3, bytes: 9, folderMarkers: 1 });
      expect(await judy.deleteFolder('team', '')).toEqual({ deleted: 4, failed: [] });
      expect(await listAll(ivan, 'team', '')).toEqual([]);
      expect(await listAll(mallory, 'team', '')).toEqual(['kept.txt']);
      expect(await listAll(judy, undefined, '')).toEqual(['mine.txt']);
      expect(await judy.deleteFolder(undefined)).toEqual({ deleted: 1, failed: [] });
      expect(await listAll(judy, undefined, '')).toEqual([]);

      const protectedTop = await expectStorageError(judy.deleteFolder('protected', ''), 'InvalidLocation');
      expect(protectedTop.message).toContain('cannot be listed as a whole');
      await expectStorageError(judy.summarizeFolder('protected'), 'InvalidLocation');
      await expectStorageError(judy.deleteFolder('shared'), 'InvalidLocation');
      expect(await listAll(judy, 'shared', '')).toContain('handbook.txt');
    });

    it('deletes more than one batch of 1000', async () => {
      const many = Array.from({ length: 1003 }, (_, index) => `bulk/${String(index).padStart(4, '0')}.txt`);
      for (let start = 0; start < many.length; start += 50) await Promise.all(many.slice(start, start + 50).map((key) => dave.upload(key, 'x')));
      const counts = countCommands(dave);
      expect(await dave.deleteFolder(undefined, 'bulk')).toEqual({ deleted: 1003, failed: [] });
      expect(counts.get('DeleteObjectsCommand')).toBe(2);
      expect(await listAll(dave, undefined, 'bulk/')).toEqual([]);
    });
  });

  describe('copy and move', () => {
    it('copies within and across locations, keys with spaces and non-ASCII characters included', async () => {
      const key = 'über files/a b+c%20 ü?.txt';
      await alice.upload(key, 'odd name', { contentType: 'text/x-odd', metadata: { origin: 'test' } });
      const within = await alice.copy({ key }, { key: 'copies/same ü.txt' });
      expect(within).toMatchObject({ key: 'copies/same ü.txt', location: 'private', size: 8, parts: 1 });
      expect(await text(alice, undefined, 'copies/same ü.txt')).toBe('odd name');
      const across = await alice.copy({ key }, { location: 'team', key: 'from-alice/ü b.txt' });
      expect(across.location).toBe('team');
      expect(await text(bob, 'team', 'from-alice/ü b.txt')).toBe('odd name');
      expect(await bob.properties('team', 'from-alice/ü b.txt')).toMatchObject({ contentType: 'text/x-odd', metadata: { origin: 'test' } });
      await expectStorageError(alice.copy({ key }, { key }), 'InvalidArgument');
      await expectStorageError(alice.copy({ key: 'no/such.txt' }, { key: 'x.txt' }), 'NotFound');
    });

    it('refuses a copy into a location the caller may not write, locally and by S3; reads from a readable one', async () => {
      await expectStorageError(alice.copy({ key: 'notes/today.txt' }, { location: 'shared', key: 'today.txt' }), 'InvalidLocation');
      await expectStorageError(bob.copy({ key: 'notes/today.txt' }, { location: 'protected', key: `${aliceId}/today.txt` }), 'InvalidLocation');
      const raw = await alice.s3
        .send(new CopyObjectCommand({ Bucket: bucket, Key: 'shared/today.txt', CopySource: `${bucket}/users/${aliceId}/notes/today.txt` }))
        .catch((error: unknown) => error);
      expect((raw as { name?: string }).name).toBe('AccessDenied');
      // A copy source outside the caller's reach is refused by S3 too.
      const stolen = await bob.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `users/${(await bob.whoami()).identityId}/stolen.txt`, CopySource: `${bucket}/users/${aliceId}/notes/today.txt` })).catch((error: unknown) => error);
      expect((stolen as { name?: string }).name).toBe('AccessDenied');
      await bob.copy({ location: 'shared', key: 'handbook.txt' }, { key: 'my handbook.txt' });
      expect(await text(bob, undefined, 'my handbook.txt')).toBe('the handbook');
    });

    it('moves (copy, then delete); a move out of a location without delete is refused before copying', async () => {
      await alice.upload('move/me.txt', 'moving');
      const moved = await alice.move({ key: 'move/me.txt' }, { location: 'team', key: 'moved/me.txt' });
      expect(moved).toMatchObject({ sourceDeleted: true, location: 'team', key: 'moved/me.txt' });
      await expectStorageError(alice.download('move/me.txt'), 'NotFound');
      expect(await text(bob, 'team', 'moved/me.txt')).toBe('moving');
      const counts = countCommands(bob);
      await expectStorageError(bob.move({ location: 'shared', key: 'handbook.txt' }, { key: 'h.txt' }), 'InvalidLocation');
      expect(counts.get('CopyObjectCommand') ?? 0).toBe(0);
    });

    it('copies above the threshold in parts (UploadPartCopy), the same bytes across locations', async () => {
      const copier = await clientFor('alice', 'acme', { multipartCopyThreshold: MIB, copyPartSize: 5 * MIB });
      const bytes = randomBytes(11 * MIB + 3);
      await copier.upload('big/source.bin', bytes);
      const counts = countCommands(copier);
      const copied = await copier.copy({ key: 'big/source.bin' }, { location: 'team', key: 'big/copy.bin' });
      expect(copied).toMatchObject({ size: bytes.length, parts: 3 });
      expect(counts.get('UploadPartCopyCommand')).toBe(3);
      expect(counts.get('CopyObjectCommand') ?? 0).toBe(0);
      expect(copied.etag).toMatch(/-3"$/);
      expect((await readAll((await bob.download('team', 'big/copy.bin')).body)).equals(bytes)).toBe(true);
      // ifNoneMatch holds for the multipart path too (CompleteMultipartUpload with If-None-Match), and the upload is aborted.
      await expectStorageError(copier.copy({ key: 'big/source.bin' }, { location: 'team', key: 'big/copy.bin' }, { ifNoneMatch: true }), 'AlreadyExists');
      expect(counts.get('AbortMultipartUploadCommand')).toBe(1);
    });
  });

  describe('upload tasks in locations', () => {
    it('startUpload into a location: a task whose done is the result; refused locations fail the task before any request', async () => {
      const task = alice.startUpload('team', 'tasks/one.txt', 'from a task', { contentType: 'text/plain' });
      expect(task.state).toBe('running');
      expect(await task.done).toMatchObject({ size: 11, resumed: false });
      expect(task.state).toBe('succeeded');
      expect(task.progress).toEqual({ loadedBytes: 11, totalBytes: 11 });
      expect(await text(bob, 'team', 'tasks/one.txt')).toBe('from a task');

      const counts = countCommands(bob);
      const states: string[] = [];
      const refused = bob.startUpload('shared', 'tasks/two.txt', 'nope');
      refused.onStateChange((state) => states.push(state));
      await expectStorageError(refused.done, 'InvalidLocation');
      expect(refused.state).toBe('failed');
      expect(refused.error?.code).toBe('InvalidLocation');
      expect(states).toEqual(['failed']);
      expect(counts.get('PutObjectCommand') ?? 0).toBe(0);
      await expectStorageError(bob.startUpload('team', '../escape.txt', 'x').done, 'InvalidKey');
    });

    it('a task cancelled before its key is resolved sends nothing', async () => {
      const counts = countCommands(bob);
      const task = bob.startUpload('team', 'tasks/cancelled.txt', 'never');
      await task.cancel();
      await expectStorageError(task.done, 'Aborted');
      expect(task.state).toBe('cancelled');
      expect(counts.get('PutObjectCommand') ?? 0).toBe(0);
      await expectStorageError(bob.download('team', 'tasks/cancelled.txt'), 'NotFound');
    });
  });

  describe('properties, download progress, share links', () => {
    it('properties: size, type, dates, ETag, the stored checksum and metadata', async () => {
      const body = Buffer.from('checksummed contents');
      await alice.upload('props.txt', body, { contentType: 'text/plain', metadata: { author: 'alice' } });
      const properties = await alice.properties('props.txt');
      expect(properties).toMatchObject({ key: 'props.txt', size: body.length, contentType: 'text/plain', etag: `"${createHash('md5').update(body).digest('hex')}"`, metadata: { author: 'alice' } });
      expect(properties.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
      const expected = Buffer.alloc(4);
      expected.writeUInt32BE(crc32(body));
      expect(properties.checksum).toBe(`CRC32:${expected.toString('base64')}`);
      await expectStorageError(alice.properties('missing.txt'), 'NotFound');
    });

    it('download progress counts bytes as the body is read', async () => {
      const bytes = randomBytes(3 * MIB + 5);
      await alice.upload('progress.bin', bytes);
      const events: Array<{ loadedBytes: number; totalBytes: number }> = [];
      const download = await alice.download(undefined, 'progress.bin', { onProgress: (event) => events.push(event) });
      expect(events).toEqual([{ loadedBytes: 0, totalBytes: bytes.length }]);
      const reader = download.body.getReader();
      const first = await reader.read();
      expect(events.at(-1)).toEqual({ loadedBytes: first.value!.byteLength, totalBytes: bytes.length });
      const chunks = [first.value!];
      for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
      expect(events.length).toBeGreaterThan(2);
      expect(events.at(-1)).toEqual({ loadedBytes: bytes.length, totalBytes: bytes.length });
      for (let index = 1; index < events.length; index += 1) expect(events[index]!.loadedBytes).toBeGreaterThan(events[index - 1]!.loadedBytes);
    });

    it('share links carry the disposition and an RFC 6266 file name', async () => {
      await alice.upload('team', 'Überblick 2026.txt', 'overview');
      const attachment = await bob.share('team', 'Überblick 2026.txt', { disposition: 'attachment' });
      const fetched = await fetchLink(attachment.url);
      expect(fetched.status).toBe(200);
      expect(fetched.body.toString()).toBe('overview');
      expect(fetched.headers['content-disposition']).toBe(`attachment; filename="_berblick 2026.txt"; filename*=UTF-8''%C3%9Cberblick%202026.txt`);
      const inline = await fetchLink((await bob.share('team', 'Überblick 2026.txt', { disposition: 'inline', fileName: 'plain.txt' })).url);
      expect(inline.headers['content-disposition']).toBe('inline; filename="plain.txt"');
      const plain = await fetchLink((await bob.share('shared', 'handbook.txt')).url);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-disposition']).toBeUndefined();
      await expectStorageError(bob.share('team', 'x.txt', { disposition: 'download' as never }), 'InvalidArgument');
    });
  });
});
