import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StorageError, type ScopedStorageClient, type UploadLink } from '../../../app/library/index.ts';
import { signUploadLink, UPLOAD_LINK_SIGNING_CONFIG } from '../../../app/library/upload-links.ts';
import { startMainJobFixture, type MainJobFixture } from '../client/main-job-fixture.ts';

/**
 * Links are used as their recipient uses them: plain fetch, no SDK, no credentials. The local
 * cloud answers plain HTTP from loopback on the same port, and SigV4 signs the host, not the
 * scheme, so the links' https:// addresses are fetched as http:// (no CA to trust in fetch).
 */
const viaLoopbackHttp = (url: string): string => url.replace(/^https:/, 'http:');

async function usePut(link: UploadLink, body: string, headers: Record<string, string> = link.headers ?? {}, url = link.url): Promise<Response> {
  return fetch(viaLoopbackHttp(url), { method: 'PUT', headers, body });
}

async function usePost(link: UploadLink, file: Blob | string, override: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...link.fields, ...override })) form.append(name, value);
  form.append('file', typeof file === 'string' ? new Blob([file]) : file, 'upload.bin');
  return fetch(viaLoopbackHttp(link.url), { method: 'POST', body: form, headers });
}

async function answerOf(response: Response): Promise<{ status: number; code?: string; message?: string }> {
  const text = await response.text();
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]?.replace(/&quot;/g, '"').replace(/&apos;/g, "'");
  return { status: response.status, ...(code !== undefined && { code }), ...(message !== undefined && { message }) };
}

async function failureOf(run: () => Promise<unknown>): Promise<StorageError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof StorageError)) throw new Error(`expected a StorageError, got ${String(error)}`);
  return error;
}

/** A client signing links as the library does: the caller's credentials, no checksum of a body it cannot know. */
function linkSigner(client: ScopedStorageClient): S3Client {
  return new S3Client({ region: fixture.job.cloud.outputs.region, endpoint: fixture.job.cloud.outputs.endpoints.s3, forcePathStyle: true, credentials: client.credentials.provide, ...UPLOAD_LINK_SIGNING_CONFIG });
}

let fixture: MainJobFixture;
let alice: ScopedStorageClient;
let bob: ScopedStorageClient;
let aliceId: string;
let bobId: string;
let bucket: string;

beforeAll(async () => {
  fixture = await startMainJobFixture();
  alice = await fixture.clientFor('alice', { tenant: 'acme' });
  bob = await fixture.clientFor('bob', { tenant: 'other' });
  aliceId = (await alice.whoami()).identityId;
  bobId = (await bob.whoami()).identityId;
  bucket = fixture.job.cloud.outputs.bucket;
}, 120_000);
afterAll(async () => {
  await fixture?.close();
});

describe('PUT upload links: single use', () => {
  test('a fresh key in the folder; the first upload is stored (200), a second use gets 412 and the file stays the first', async () => {
    const link = await alice.createUploadLink('private', 'incoming/', { maxBytes: 1000, contentType: 'text/plain' });
    expect(link.method).toBe('PUT');
    expect(link.key).toMatch(/^incoming\/[0-9a-f]{16}-upload\.txt$/);
    expect(link.headers).toEqual({ 'If-None-Match': '*', 'x-amz-server-side-encryption': 'AES256', 'Content-Type': 'text/plain' });
    expect((await usePut(link, 'first')).status).toBe(200);
    expect(await answerOf(await usePut(link, 'second'))).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    const download = await alice.download('private', link.key);
    expect(Buffer.from(await new Response(download.body as ReadableStream).arrayBuffer()).toString()).toBe('first');
    expect(download.contentType).toBe('text/plain');
  });

  test('the link names no checksum (one signed now would be of an empty body); normal uploads still send theirs', async () => {
    for (const method of ['PUT', 'POST'] as const) {
      const link = await alice.createUploadLink('private', 'incoming/', { maxBytes: 1000, method });
      const names = [...new URL(link.url).searchParams.keys(), ...Object.keys(link.headers ?? {}), ...Object.keys(link.fields ?? {})].map((name) => name.toLowerCase());
      expect(names.filter((name) => name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm')).toEqual([]);
    }
    const link = await alice.createUploadLink('private', 'incoming/', { maxBytes: 1000 });
    expect((await usePut(link, 'a body that is not empty')).status).toBe(200);
    await alice.upload('private', 'incoming/normal-upload.txt', 'a normal upload');
    expect((await alice.properties('private', 'incoming/normal-upload.txt')).checksum).toMatch(/^CRC32:/);
  });

  test('a link signed by a client that would put an empty body\'s checksum in it is refused before it is handed out', async () => {
    const defaultClient = new S3Client({ region: fixture.job.cloud.outputs.region, endpoint: fixture.job.cloud.outputs.endpoints.s3, forcePathStyle: true, credentials: alice.credentials.provide });
    const options = { maxBytes: 10, expiresInSeconds: 60, method: 'PUT' as const };
    const refused = await failureOf(() => signUploadLink({ s3: defaultClient, bucket, fullKey: `users/${aliceId}/k`, key: 'k', options, credentialsExpireAt: new Date(Date.now() + 600_000), encryption: { algorithm: 'AES256' } }));
    expect(refused.code).toBe('InvalidConfiguration');
  });

  test('each link gets its own key', async () => {
    const keys = new Set<string>();
    for (let index = 0; index < 5; index += 1) keys.add((await alice.createUploadLink('private', '', { maxBytes: 10 })).key);
    expect(keys.size).toBe(5);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{16}-upload$/);
  });

  test('an upload without the signed headers, with other values, or to another key is 403 SignatureDoesNotMatch', async () => {
    const link = await alice.createUploadLink('private', 'incoming/', { maxBytes: 1000, contentType: 'image/png' });
    const { 'If-None-Match': _ifNoneMatch, ...withoutCondition } = link.headers!;
    const { 'x-amz-server-side-encryption': _encryption, ...withoutEncryption } = link.headers!;
    expect(await answerOf(await usePut(link, 'x', withoutCondition))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await answerOf(await usePut(link, 'x', withoutEncryption))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await answerOf(await usePut(link, 'x', { ...link.headers, 'Content-Type': 'text/html' }))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    const otherKey = link.url.replace(/-upload\.png\?/, '-other.png?');
    expect(otherKey).not.toBe(link.url);
    expect(await answerOf(await usePut(link, 'x', link.headers, otherKey))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect((await usePut(link, 'png bytes')).status).toBe(200);
  });

  test('an expired PUT link is refused', async () => {
    const link = await alice.createUploadLink('private', '', { maxBytes: 10, expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await answerOf(await usePut(link, 'late'))).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
  });
});

describe('POST upload links: single key', () => {
  test('the form uploads (201 PostResponse) within maxBytes; a second POST replaces the first (single key, not single use)', async () => {
    const link = await alice.createUploadLink('private', 'forms/', { maxBytes: 100, contentType: 'image/jpeg', method: 'POST' });
    expect(link.method).toBe('POST');
    expect(link.key).toMatch(/^forms\/[0-9a-f]{16}-upload\.jpg$/);
    expect(link.fields).toMatchObject({ key: `users/${aliceId}/${link.key}`, 'Content-Type': 'image/jpeg', 'x-amz-server-side-encryption': 'AES256', success_action_status: '201' });
    const created = await usePost(link, 'jpeg one');
    expect(created.status).toBe(201);
    expect(await created.text()).toContain(`<Key>users/${aliceId}/${link.key}</Key>`);
    expect((await usePost(link, 'jpeg two')).status).toBe(201);
    const download = await alice.download('private', link.key);
    expect(Buffer.from(await new Response(download.body as ReadableStream).arrayBuffer()).toString()).toBe('jpeg two');
  });

  test('a file over maxBytes is 400 EntityTooLarge; an empty file EntityTooSmall', async () => {
    const link = await alice.createUploadLink('private', 'forms/', { maxBytes: 10, method: 'POST' });
    expect(await answerOf(await usePost(link, 'x'.repeat(11)))).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(await answerOf(await usePost(link, ''))).toMatchObject({ status: 400, code: 'EntityTooSmall' });
  });

  test('another type than the link names is refused by the policy; without a type any type goes', async () => {
    const typed = await alice.createUploadLink('private', 'forms/', { maxBytes: 100, contentType: 'image/png', method: 'POST' });
    expect(await answerOf(await usePost(typed, 'x', { 'Content-Type': 'text/html' }))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]',
    });
    const untyped = await alice.createUploadLink('private', 'forms/', { maxBytes: 100, method: 'POST' });
    expect(untyped.fields?.['Content-Type']).toBe('application/octet-stream');
    expect((await usePost(untyped, 'x', { 'Content-Type': 'application/x-custom' })).status).toBe(201);
  });

  test('a key changed in the form is refused by the policy', async () => {
    const link = await alice.createUploadLink('private', 'forms/', { maxBytes: 100, method: 'POST' });
    const answer = await answerOf(await usePost(link, 'x', { key: `users/${aliceId}/forms/chosen-by-uploader` }));
    expect(answer).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(answer.message).toContain('Policy Condition failed: ["eq", "$key"');
  });

  test('an expired POST link is 403 "Policy expired"', async () => {
    const link = await alice.createUploadLink('private', 'forms/', { maxBytes: 100, method: 'POST', expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await answerOf(await usePost(link, 'late'))).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });
});

describe('upload links cannot reach what the caller may not write', () => {
  test("the library refuses before signing: another identity's protected folder, a read-only location, another tenant", async () => {
    expect((await failureOf(() => alice.createUploadLink('protected', `${bobId}/`, { maxBytes: 10 }))).code).toBe('InvalidLocation');
    expect((await failureOf(() => alice.createUploadLink('shared', '', { maxBytes: 10, method: 'POST' }))).code).toBe('InvalidLocation');
    // A location is resolved by name for the caller: bob's team location object names alice's own team for alice.
    const bobsTeam = await bob.location('team');
    const teamLink = await alice.createUploadLink(bobsTeam, '', { maxBytes: 10 });
    expect(new URL(teamLink.url).pathname).toContain('/tenants/acme/');
    expect((await alice.createUploadLink('protected', `${aliceId}/inbox/`, { maxBytes: 10 })).key).toMatch(new RegExp(`^${aliceId}/inbox/`));
  });

  test('hostile folders are refused before signing (InvalidKey): climbing out, absolute, control characters, too long', async () => {
    for (const folder of ['../', `../../users/${bobId}/`, 'a/../../', '/etc/', 'a\u0000b/', 'a\nb/', `${'x'.repeat(1100)}/`]) {
      expect((await failureOf(() => alice.createUploadLink('private', folder, { maxBytes: 10 }))).code).toBe('InvalidKey');
    }
    expect((await failureOf(() => alice.createUploadLink('private', 42 as never, { maxBytes: 10 }))).code).toBe('InvalidArgument');
  });

  test('options are checked before signing', async () => {
    for (const options of [{ maxBytes: 0 }, { maxBytes: -1 }, { maxBytes: 1.5 }, { maxBytes: 6 * 1024 ** 3 }, { maxBytes: 10, contentType: 'not a type' }, { maxBytes: 10, contentType: 'text/plain\r\nx: y' }, { maxBytes: 10, expiresInSeconds: 0 }, { maxBytes: 10, method: 'GET' }]) {
      expect((await failureOf(() => alice.createUploadLink('private', '', options as never))).code).toBe('InvalidArgument');
    }
    expect((await failureOf(() => alice.createUploadLink('private', '', undefined as never))).code).toBe('InvalidArgument');
  });

  test("links forged by hand for bob's folder with alice's credentials are denied by IAM (PUT and POST)", async () => {
    const key = `users/${bobId}/forged.txt`;
    const putUrl = await getSignedUrl(alice.s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
    expect(await answerOf(await fetch(viaLoopbackHttp(putUrl), { method: 'PUT', body: 'intruder' }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    const form = await createPresignedPost(alice.s3, { Bucket: bucket, Key: key, Expires: 60 });
    const posted = await usePost({ url: form.url, method: 'POST', fields: form.fields, key, expiresAt: new Date() }, 'intruder');
    expect(await answerOf(posted)).toEqual({ status: 403, code: 'AccessDenied', message: 'Access Denied' });
    expect((await failureOf(() => bob.properties('private', 'forged.txt'))).code).toBe('NotFound');
  });

  test('prefix confusion: forged links for a key that merely starts with alice\'s id are denied', async () => {
    for (const key of [`users/${aliceId}x/file`, `users/${aliceId}`, `users/${aliceId.slice(0, -1)}/file`]) {
      const form = await createPresignedPost(alice.s3, { Bucket: bucket, Key: key, Expires: 60 });
      expect(await answerOf(await usePost({ url: form.url, method: 'POST', fields: form.fields, key, expiresAt: new Date() }, 'x'))).toMatchObject({ status: 403, code: 'AccessDenied' });
      const putUrl = await getSignedUrl(alice.s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
      expect(await answerOf(await fetch(viaLoopbackHttp(putUrl), { method: 'PUT', body: 'x' }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    }
  });
});

describe('upload links live no longer than the credentials that sign them', () => {
  test('the expiry is capped at the credentials (PUT: X-Amz-Expires, POST: the policy expiration), and the result says when', async () => {
    const s3 = linkSigner(alice);
    // Half a second over 65 s, so the whole seconds left stay 65 however many milliseconds signing takes.
    const credentialsExpireAt = new Date(Date.now() + 65_500);
    const options = { maxBytes: 10, expiresInSeconds: 3600 };
    const put = await signUploadLink({ s3, bucket, fullKey: `users/${aliceId}/capped`, key: 'capped', options: { ...options, method: 'PUT' }, credentialsExpireAt, encryption: { algorithm: 'AES256' } });
    expect(Number(new URL(put.url).searchParams.get('X-Amz-Expires'))).toBe(60);
    expect(Math.abs(put.expiresAt.getTime() - (Date.now() + 60_000))).toBeLessThan(2000);
    const post = await signUploadLink({ s3, bucket, fullKey: `users/${aliceId}/capped`, key: 'capped', options: { ...options, method: 'POST' }, credentialsExpireAt, encryption: { algorithm: 'AES256' } });
    const policy = JSON.parse(Buffer.from(post.fields!.Policy!, 'base64').toString('utf8')) as { expiration: string };
    expect(Math.abs(Date.parse(policy.expiration) - post.expiresAt.getTime())).toBeLessThan(2000);
    const expired = await failureOf(() => signUploadLink({ s3, bucket, fullKey: 'k', key: 'k', options: { ...options, method: 'PUT' }, credentialsExpireAt: new Date(Date.now() + 3000), encryption: { algorithm: 'AES256' } }));
    expect(expired.code).toBe('Expired');
  });
});

describe('upload links from the page: CORS', () => {
  test('preflights for PUT with the signed headers and for POST from the page origin are allowed; the answers carry the origin', async () => {
    const origin = fixture.job.page.url.replace(/\/$/, '');
    const s3 = viaLoopbackHttp(fixture.job.cloud.outputs.endpoints.s3);
    const link = await alice.createUploadLink('private', 'cors/', { maxBytes: 10, contentType: 'text/plain' });
    const putPreflight = await fetch(viaLoopbackHttp(link.url.split('?')[0]!), {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, if-none-match, x-amz-server-side-encryption' },
    });
    expect(putPreflight.status).toBe(200);
    expect(putPreflight.headers.get('access-control-allow-origin')).toBe(origin);
    const postPreflight = await fetch(`${s3}/${bucket}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(postPreflight.status).toBe(200);
    const post = await alice.createUploadLink('private', 'cors/', { maxBytes: 10, method: 'POST' });
    const posted = await usePost(post, 'x', {}, { origin });
    expect(posted.status).toBe(201);
    expect(posted.headers.get('access-control-allow-origin')).toBe(origin);
    const put = await usePut(link, 'x', { ...link.headers, origin });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe(origin);
  });
});
