import { randomBytes } from 'node:crypto';
import {
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
  LookupDeveloperIdentityCommand,
  type CognitoIdentityClient,
} from '@aws-sdk/client-cognito-identity';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRule } from '../../../infra/access-rules/index.ts';
import { startComposedCloud, type ComposedCloud, type SignedInIdentity } from './composed-cloud.ts';
import { expectHttpStatus, expectServiceError } from '../service-error-assertions.ts';

/**
 * Isolation between identities on the composed local cloud with the default access rules
 * (`users/{identityId}/` owner, `shared/` read-only, `tenants/{tag:tenant}/`), through the real
 * SDK clients only: each S3 operation works on the caller's own prefix and is denied on another's.
 */
describe('isolation between identities (default rules)', () => {
  let composed: ComposedCloud;
  let alice: SignedInIdentity;
  let bob: SignedInIdentity;
  let carol: SignedInIdentity;
  let bucket: string;
  const bobsFile = 'notes.txt';

  beforeAll(async () => {
    composed = await startComposedCloud();
    bucket = composed.bucket;
    [alice, bob, carol] = await Promise.all([
      composed.signIn('alice', { tags: { tenant: 'acme' } }),
      composed.signIn('bob', { tags: { tenant: 'globex' } }),
      composed.signIn('carol'),
    ]);
    await bob.s3.send(new PutObjectCommand({ Bucket: bucket, Key: bob.prefix + bobsFile, Body: 'bob private' }));
  });
  afterAll(() => composed?.close());

  const put = (who: SignedInIdentity, key: string, body = 'x') => who.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const get = async (who: SignedInIdentity, key: string) => (await who.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  const list = (who: SignedInIdentity, prefix?: string) => who.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));

  it('gives each signed-in user a distinct identity, the same one on every sign-in', async () => {
    expect(new Set([alice.identityId, bob.identityId, carol.identityId]).size).toBe(3);
    expect((await composed.openIdToken('alice')).identityId).toBe(alice.identityId);
  });

  it('Put, Get, Head and Delete work on the own prefix', async () => {
    const key = `${alice.prefix}own.txt`;
    await put(alice, key, 'hello alice');
    expect(await get(alice, key)).toBe('hello alice');
    const head = await alice.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe('hello alice'.length);
    await alice.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await expectServiceError(get(alice, key), 'AccessDenied', 403); // missing + no list on the bucket root: 403, as on S3
  });

  it('Put, Get, Head and Delete are denied on the other identity\'s prefix, and bob\'s object is untouched', async () => {
    const key = bob.prefix + bobsFile;
    await expectServiceError(put(alice, key, 'overwritten'), 'AccessDenied', 403);
    await expectServiceError(get(alice, key), 'AccessDenied', 403);
    await expectHttpStatus(alice.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 403);
    await expectServiceError(alice.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })), 'AccessDenied', 403);
    expect(await get(bob, key)).toBe('bob private');
  });

  it('DeleteObjects deletes the own keys and reports AccessDenied per key for the other\'s', async () => {
    await put(alice, `${alice.prefix}batch-1.txt`);
    await put(alice, `${alice.prefix}batch-2.txt`);
    const response = await alice.s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: `${alice.prefix}batch-1.txt` }, { Key: bob.prefix + bobsFile }, { Key: `${alice.prefix}batch-2.txt` }] },
      }),
    );
    expect(response.Deleted?.map((entry) => entry.Key).sort()).toEqual([`${alice.prefix}batch-1.txt`, `${alice.prefix}batch-2.txt`]);
    expect(response.Errors).toEqual([expect.objectContaining({ Key: bob.prefix + bobsFile, Code: 'AccessDenied' })]);
    expect(await get(bob, bob.prefix + bobsFile)).toBe('bob private');
  });

  it('CopyObject works within the own prefix and is denied from and into the other\'s', async () => {
    await put(alice, `${alice.prefix}original.txt`, 'copy me');
    await alice.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${alice.prefix}copy.txt`, CopySource: `${bucket}/${alice.prefix}original.txt` }));
    expect(await get(alice, `${alice.prefix}copy.txt`)).toBe('copy me');
    await expectServiceError(
      alice.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${alice.prefix}stolen.txt`, CopySource: `${bucket}/${bob.prefix}${bobsFile}` })),
      'AccessDenied',
      403,
    );
    await expectServiceError(
      alice.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: bob.prefix + bobsFile, CopySource: `${bucket}/${alice.prefix}original.txt` })),
      'AccessDenied',
      403,
    );
    await expectServiceError(get(alice, `${alice.prefix}stolen.txt`), 'AccessDenied');
    expect(await get(bob, bob.prefix + bobsFile)).toBe('bob private');
  });

  it('ListObjectsV2 is allowed only with a prefix inside the own folder', async () => {
    await put(alice, `${alice.prefix}photos/cat.jpg`);
    const own = await list(alice, alice.prefix);
    expect(own.Contents?.map((object) => object.Key)).toContain(`${alice.prefix}photos/cat.jpg`);
    expect((await list(alice, `${alice.prefix}photos/`)).Contents?.map((object) => object.Key)).toEqual([`${alice.prefix}photos/cat.jpg`]);
    const denied = [bob.prefix, undefined, '', 'users/', `users/${alice.identityId}`, `users/${alice.identityId.slice(0, -1)}`, `${alice.prefix.slice(0, -1)}0/`, 'users/us-east-1:'];
    for (const prefix of denied) await expectServiceError(list(alice, prefix), 'AccessDenied', 403);
  });

  it('a neighbouring identity id (abc vs abcd) is never reachable', async () => {
    // A made-up "neighbour": the own id with one more character.
    const neighbour = `users/${alice.identityId}0/`;
    await expectServiceError(put(alice, `${neighbour}a.txt`), 'AccessDenied', 403);
    await expectServiceError(get(alice, `${neighbour}a.txt`), 'AccessDenied', 403);
    // And the truncated id does not reach alice's own prefix either.
    await expectServiceError(put(alice, `users/${alice.identityId.slice(0, -1)}/a.txt`), 'AccessDenied', 403);
  });

  it('a key with ../ inside the own prefix is a literal key, never bob\'s object', async () => {
    const crafted = `${alice.prefix}../${bob.identityId}/${bobsFile}`;
    await put(alice, crafted, 'not bob');
    expect(await get(bob, bob.prefix + bobsFile)).toBe('bob private');
    expect(await get(alice, crafted)).toBe('not bob');
    const bobsListing = await list(bob, bob.prefix);
    expect(bobsListing.Contents?.map((object) => object.Key)).toEqual([bob.prefix + bobsFile]);
  });

  describe('multipart uploads', () => {
    it('work on the own prefix: Create, UploadPart, UploadPartCopy, ListParts, Complete, Abort', async () => {
      const key = `${alice.prefix}multi.bin`;
      await put(alice, `${alice.prefix}source.txt`, 'tail from copy');
      const { UploadId } = await alice.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const first = randomBytes(5 * 1024 * 1024);
      const part1 = await alice.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: first }));
      const part2 = await alice.s3.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, CopySource: `${bucket}/${alice.prefix}source.txt` }),
      );
      const parts = await alice.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }));
      expect(parts.Parts?.map((part) => part.PartNumber)).toEqual([1, 2]);
      await alice.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part1.ETag }, { PartNumber: 2, ETag: part2.CopyPartResult!.ETag }] },
        }),
      );
      const body = Buffer.from(await (await alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
      expect(body.equals(Buffer.concat([first, Buffer.from('tail from copy')]))).toBe(true);

      const second = await alice.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${alice.prefix}cancelled.bin` }));
      await alice.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: `${alice.prefix}cancelled.bin`, UploadId: second.UploadId }));
    });

    it('are denied into the other\'s prefix, also on bob\'s own upload id', async () => {
      const key = `${bob.prefix}big.bin`;
      await expectServiceError(alice.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })), 'AccessDenied', 403);
      const { UploadId } = await bob.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const bobsPart = await bob.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'bob part' }));
      await expectServiceError(alice.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, Body: 'alice part' })), 'AccessDenied', 403);
      await expectServiceError(alice.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId })), 'AccessDenied', 403);
      await expectServiceError(
        alice.s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: bobsPart.ETag }] } })),
        'AccessDenied',
        403,
      );
      await expectServiceError(alice.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })), 'AccessDenied', 403);
      // Bob's upload is intact and still his to finish.
      const parts = await bob.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }));
      expect(parts.Parts?.map((part) => part.PartNumber)).toEqual([1]);
      await bob.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    });

    it('UploadPartCopy from the other\'s prefix is denied', async () => {
      const key = `${alice.prefix}copy-target.bin`;
      const { UploadId } = await alice.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await expectServiceError(
        alice.s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, CopySource: `${bucket}/${bob.prefix}${bobsFile}` })),
        'AccessDenied',
        403,
      );
      expect((await alice.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }))).Parts ?? []).toEqual([]);
      await alice.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    });
  });

  it('shared/ is listable for every signed-in identity but nobody may write or delete there', async () => {
    for (const who of [alice, carol]) {
      expect((await list(who, 'shared/')).KeyCount).toBe(0);
      await expectServiceError(put(who, 'shared/handbook.txt'), 'AccessDenied', 403);
      await expectServiceError(who.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'shared/handbook.txt' })), 'AccessDenied', 403);
      await expectServiceError(
        who.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'shared/copied.txt', CopySource: `${bucket}/${bob.prefix}${bobsFile}` })),
        'AccessDenied',
        403,
      );
      await expectServiceError(who.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'shared/big.bin' })), 'AccessDenied', 403);
    }
  });

  it('tenants/<tenant>/ belongs to the members tagged with that tenant', async () => {
    await put(alice, 'tenants/acme/plan.txt', 'acme plan');
    expect((await list(alice, 'tenants/acme/')).Contents?.map((object) => object.Key)).toEqual(['tenants/acme/plan.txt']);
    await put(bob, 'tenants/globex/plan.txt', 'globex plan');
    expect(await get(bob, 'tenants/globex/plan.txt')).toBe('globex plan');

    await expectServiceError(get(bob, 'tenants/acme/plan.txt'), 'AccessDenied', 403);
    await expectServiceError(put(bob, 'tenants/acme/plan.txt'), 'AccessDenied', 403);
    await expectServiceError(list(bob, 'tenants/acme/'), 'AccessDenied', 403);
    await expectServiceError(get(alice, 'tenants/globex/plan.txt'), 'AccessDenied', 403);
    // Without a tenant tag nothing under tenants/ is reachable, not even through an empty tag value.
    for (const prefix of ['tenants/', 'tenants//', 'tenants/acme/']) await expectServiceError(list(carol, prefix), 'AccessDenied', 403);
    await expectServiceError(get(carol, 'tenants/acme/plan.txt'), 'AccessDenied', 403);
    await expectServiceError(put(carol, 'tenants//x.txt'), 'AccessDenied', 403);
    expect(await get(alice, 'tenants/acme/plan.txt')).toBe('acme plan');
  });

  it('a pool without guests refuses identities without a login', async () => {
    await expectServiceError(composed.publicCognito.send(new GetIdCommand({ IdentityPoolId: composed.cloud.outputs.identityPoolId })), 'NotAuthorizedException');
    await expectServiceError(composed.publicCognito.send(new GetCredentialsForIdentityCommand({ IdentityId: alice.identityId })), 'NotAuthorizedException');
  });

  it('an OpenID token of one identity does not get credentials for another', async () => {
    await expectServiceError(
      composed.publicCognito.send(new GetCredentialsForIdentityCommand({ IdentityId: bob.identityId, Logins: { 'cognito-identity.amazonaws.com': alice.token } })),
      'NotAuthorizedException',
    );
  });

  describe('the developer APIs', () => {
    const developerCall = (cognito: CognitoIdentityClient) =>
      cognito.send(
        new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: composed.cloud.outputs.identityPoolId, Logins: { [composed.cloud.outputs.developerProviderName]: 'mallory' } }),
      );

    it('answer the token service role', async () => {
      const lookup = await composed.developer.send(
        new LookupDeveloperIdentityCommand({ IdentityPoolId: composed.cloud.outputs.identityPoolId, DeveloperUserIdentifier: 'alice' }),
      );
      expect(lookup.IdentityId).toBe(alice.identityId);
    });

    it('refuse identity credentials (AccessDeniedException)', async () => {
      const credentials = await composed.exchange(alice.identityId, alice.token);
      await expectServiceError(developerCall(composed.cognitoWith(credentials)), 'AccessDeniedException');
    });

    it('refuse a principal that is not the token service (AccessDeniedException), and unknown keys', async () => {
      const authenticatedRole = composed.cloud.deployment.identityPools[0]!.roles.authenticated!;
      const outsider = await composed.cloud.credentialStore.issueStatic({
        name: 'outsider',
        roleArn: authenticatedRole,
        roleId: composed.cloud.deployment.roleIds.get(authenticatedRole)!,
        sessionName: 'outsider',
        lifetimeSeconds: 600,
        sessionContext: {},
      });
      await expectServiceError(developerCall(composed.cognitoWith(outsider)), 'AccessDeniedException');
      await expectServiceError(
        developerCall(composed.cognitoWith({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })),
        'UnrecognizedClientException',
      );
      expect((await composed.openIdToken('bob')).identityId).toBe(bob.identityId);
    });
  });
});

/** The same isolation with guests enabled and a rule set that uses every kind of grantee. */
describe('isolation with guests and custom rules', () => {
  const rules: AccessRule[] = [
    { prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'], guestOwner: ['read', 'write', 'delete', 'list'] } },
    { prefix: 'public/', grants: { guests: ['read'], authenticated: ['read', 'write', 'list'] } },
    { prefix: 'shared/', grants: { authenticated: ['read', 'list'] } },
    // Publishers fill shared/ through their own tag; everyone else only reads it.
    { name: 'publishing', prefix: 'shared/{tag:publisher}/', grants: { tenantMembers: ['read', 'write', 'delete', 'list'] } },
    { prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: ['read', 'write', 'delete', 'list'] } },
  ];
  let composed: ComposedCloud;
  let alice: SignedInIdentity;
  let publisher: SignedInIdentity;
  let guest: SignedInIdentity;
  let otherGuest: SignedInIdentity;
  let bucket: string;

  beforeAll(async () => {
    composed = await startComposedCloud({ stack: { allowGuests: true, accessRules: rules } });
    bucket = composed.bucket;
    [alice, publisher, guest, otherGuest] = await Promise.all([
      composed.signIn('alice', { tags: { tenant: 'acme' } }),
      composed.signIn('paula', { tags: { publisher: 'docs' } }),
      composed.signInAsGuest(),
      composed.signInAsGuest(),
    ]);
  });
  afterAll(() => composed?.close());

  const put = (who: SignedInIdentity, key: string, body = 'x') => who.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const get = async (who: SignedInIdentity, key: string) => (await who.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  const list = (who: SignedInIdentity, prefix: string) => who.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));

  it('guests own their prefix and nobody else\'s', async () => {
    expect(guest.identityId).not.toBe(otherGuest.identityId);
    await put(guest, `${guest.prefix}draft.txt`, 'guest draft');
    expect(await get(guest, `${guest.prefix}draft.txt`)).toBe('guest draft');
    expect((await list(guest, guest.prefix)).KeyCount).toBe(1);
    await expectServiceError(get(otherGuest, `${guest.prefix}draft.txt`), 'AccessDenied', 403);
    await expectServiceError(put(guest, `${alice.prefix}x.txt`), 'AccessDenied', 403);
    await expectServiceError(get(alice, `${guest.prefix}draft.txt`), 'AccessDenied', 403);
  });

  it('guests read public/ but may not write or list it; signed-in identities may', async () => {
    await put(alice, 'public/poster.txt', 'for everyone');
    expect(await get(guest, 'public/poster.txt')).toBe('for everyone');
    await expectServiceError(put(guest, 'public/poster.txt', 'defaced'), 'AccessDenied', 403);
    await expectServiceError(guest.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'public/poster.txt' })), 'AccessDenied', 403);
    await expectServiceError(list(guest, 'public/'), 'AccessDenied', 403);
    expect((await list(alice, 'public/')).Contents?.map((object) => object.Key)).toEqual(['public/poster.txt']);
    expect(await get(alice, 'public/poster.txt')).toBe('for everyone');
  });

  it('shared/ is read-only except for the publishers\' own sub-prefix; guests see nothing of it', async () => {
    await put(publisher, 'shared/docs/handbook.txt', 'the handbook');
    expect(await get(alice, 'shared/docs/handbook.txt')).toBe('the handbook');
    expect((await list(alice, 'shared/')).Contents?.map((object) => object.Key)).toEqual(['shared/docs/handbook.txt']);
    await expectServiceError(put(alice, 'shared/docs/handbook.txt', 'edited'), 'AccessDenied', 403);
    await expectServiceError(put(alice, 'shared/notes.txt'), 'AccessDenied', 403);
    await expectServiceError(alice.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'shared/docs/handbook.txt' })), 'AccessDenied', 403);
    await expectServiceError(put(publisher, 'shared/other/handbook.txt'), 'AccessDenied', 403);
    await expectServiceError(get(guest, 'shared/docs/handbook.txt'), 'AccessDenied', 403);
    await expectServiceError(list(guest, 'shared/'), 'AccessDenied', 403);
    expect(await get(alice, 'shared/docs/handbook.txt')).toBe('the handbook');
  });

  it('guests have no tenant prefix; tenant members keep theirs', async () => {
    await put(alice, 'tenants/acme/a.txt');
    await expectServiceError(get(guest, 'tenants/acme/a.txt'), 'AccessDenied', 403);
    await expectServiceError(put(guest, 'tenants//a.txt'), 'AccessDenied', 403);
    await expectServiceError(get(publisher, 'tenants/acme/a.txt'), 'AccessDenied', 403);
  });

  it('guest credentials cannot call the developer APIs', async () => {
    const credentials = await composed.exchange(guest.identityId);
    await expectServiceError(
      composed.cognitoWith(credentials).send(
        new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: composed.cloud.outputs.identityPoolId, Logins: { [composed.cloud.outputs.developerProviderName]: 'alice' } }),
      ),
      'AccessDeniedException',
    );
  });
});

