import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALLOWED_ORIGIN, BUCKET, issueCredentials, REGION, s3Client, startLocalS3, type LocalS3, type TestIdentity } from './local-s3-fixture.ts';
import { errorCode, sendRaw } from './raw-requests.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.close();
});

type Condition = Parameters<typeof createPresignedPost>[1]['Conditions'] extends Array<infer C> | undefined ? C : never;

interface SignedForm {
  url: string;
  fields: Record<string, string>;
}

async function presign(identity: TestIdentity, key: string, options: { conditions?: Condition[]; fields?: Record<string, string>; expires?: number } = {}): Promise<SignedForm> {
  return createPresignedPost(s3Client(s3.endpoint, identity.credentials), {
    Bucket: BUCKET,
    Key: key,
    Conditions: options.conditions ?? [['content-length-range', 1, 1024]],
    Fields: options.fields ?? {},
    Expires: options.expires ?? 600,
  });
}

/** Posts the form as a browser would: the fields in order, then the file last. */
async function post(form: SignedForm, file: Blob | string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const body = new FormData();
  for (const [name, value] of Object.entries({ ...form.fields, ...extra })) body.append(name, value);
  body.append('file', typeof file === 'string' ? new Blob([file]) : file, 'photo.jpg');
  return fetch(form.url, { method: 'POST', body, headers, redirect: 'manual' });
}

async function failure(response: Response): Promise<{ status: number; code: string | undefined; message: string | undefined }> {
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1], message: decodeXml(/<Message>([^<]*)<\/Message>/.exec(text)?.[1]) };
}

function decodeXml(text: string | undefined): string | undefined {
  return text?.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

async function exists(identity: TestIdentity, key: string): Promise<boolean> {
  return identity.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
}

const keyOf = (identity: TestIdentity, name = `post-${randomBytes(4).toString('hex')}.jpg`): string => `${identity.prefix}${name}`;

describe('POST Object: uploads through a signed form', () => {
  test('a form signed by createPresignedPost uploads the file (204 by default) with the fields as its headers', async () => {
    const key = keyOf(s3.alice);
    const form = await presign(s3.alice, key, { fields: { 'Content-Type': 'image/jpeg', 'x-amz-meta-origin': 'form' } });
    const response = await post(form, 'jpeg bytes');
    expect(response.status).toBe(204);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    const stored = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body?.transformToString()).toBe('jpeg bytes');
    expect(stored.ContentType).toBe('image/jpeg');
    expect(stored.Metadata).toEqual({ origin: 'form' });
  });

  test('success_action_status 201 answers a PostResponse document; 200 an empty answer', async () => {
    const key = keyOf(s3.alice);
    const created = await post(await presign(s3.alice, key, { fields: { success_action_status: '201' } }), 'x');
    expect(created.status).toBe(201);
    const document = decodeXml(await created.text()) ?? '';
    expect(document).toContain('<PostResponse>');
    expect(document).toContain(`<Bucket>${BUCKET}</Bucket>`);
    expect(document).toContain(`<Key>${key}</Key>`);
    expect(document).toMatch(/<ETag>"[0-9a-f]{32}"<\/ETag>/);
    expect(document).toMatch(/<Location>http:\/\/127\.0\.0\.1:\d+\/scoped-storage-test\/users\//);
    const ok = await post(await presign(s3.alice, keyOf(s3.alice), { fields: { success_action_status: '200' } }), 'x');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
  });

  test('success_action_redirect answers 303 to the address with bucket, key and etag', async () => {
    const key = keyOf(s3.alice);
    const response = await post(await presign(s3.alice, key, { fields: { success_action_redirect: 'https://app.example/done?from=form' } }), 'x');
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe('https://app.example/done');
    expect(location.searchParams.get('from')).toBe('form');
    expect(location.searchParams.get('bucket')).toBe(BUCKET);
    expect(location.searchParams.get('key')).toBe(key);
    expect(location.searchParams.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });

  test('${filename} in the key is the file name the form sent', async () => {
    const folder = `${s3.alice.prefix}named-${randomBytes(3).toString('hex')}/`;
    const response = await post(await presign(s3.alice, `${folder}\${filename}`), 'named');
    expect(response.status).toBe(204);
    expect(await exists(s3.alice, `${folder}photo.jpg`)).toBe(true);
  });
});

describe('POST Object: the policy is enforced', () => {
  test('a file over content-length-range is 400 EntityTooLarge, one under it 400 EntityTooSmall, and nothing is stored', async () => {
    const key = keyOf(s3.alice);
    const form = await presign(s3.alice, key, { conditions: [['content-length-range', 5, 10]] });
    expect(await failure(await post(form, 'x'.repeat(11)))).toMatchObject({ status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size' });
    expect(await failure(await post(form, 'x'.repeat(4)))).toMatchObject({ status: 400, code: 'EntityTooSmall' });
    expect(await exists(s3.alice, key)).toBe(false);
    expect((await post(form, 'x'.repeat(10))).status).toBe(204);
  });

  test('a big file over the range is refused while streaming, and leaves no staged file behind', async () => {
    const key = keyOf(s3.alice);
    const form = await presign(s3.alice, key, { conditions: [['content-length-range', 1, 1024 * 1024]] });
    const result = await failure(await post(form, new Blob([new Uint8Array(3 * 1024 * 1024)])));
    expect(result).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(await unreferencedBlobs(s3.dataDirectory)).toEqual([]);
  });

  test('a Content-Type the policy does not allow is 403 "Policy Condition failed"; a list of types must all match a starts-with', async () => {
    const exact = await presign(s3.alice, keyOf(s3.alice), { fields: { 'Content-Type': 'image/jpeg' } });
    expect(await failure(await post(exact, 'x', { 'Content-Type': 'text/html' }))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/jpeg"]',
    });
    const images = await presign(s3.alice, keyOf(s3.alice), { conditions: [['starts-with', '$Content-Type', 'image/'], ['content-length-range', 1, 10]] });
    expect((await post(images, 'x', { 'Content-Type': 'image/png, image/jpeg' })).status).toBe(204);
    expect(await failure(await post(images, 'x', { 'Content-Type': 'image/png, text/html' }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(await failure(await post(images, 'x'))).toMatchObject({ status: 403, message: expect.stringContaining('["starts-with", "$Content-Type", "image/"]') });
  });

  test('starts-with "" allows any value of the field', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice), { conditions: [['starts-with', '$Content-Type', ''], ['content-length-range', 1, 10]] });
    expect((await post(form, 'x', { 'Content-Type': 'application/x-anything' })).status).toBe(204);
  });

  test('a key changed after signing is refused by the policy, and the signed key stays untouched', async () => {
    const key = keyOf(s3.alice);
    const form = await presign(s3.alice, key);
    const tampered = await post(form, 'x', { key: keyOf(s3.alice, 'other.jpg') });
    expect(await failure(tampered)).toEqual({ status: 403, code: 'AccessDenied', message: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${key}"]` });
    expect(await exists(s3.alice, keyOf(s3.alice, 'other.jpg'))).toBe(false);
  });

  test('an expired policy is 403 "Policy expired"', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice), { expires: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await failure(await post(form, 'x'))).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });

  test('a field no condition names is refused as an extra input field; x-ignore-* fields are exempt', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice));
    expect(await failure(await post(form, 'x', { 'x-amz-meta-smuggled': '1' }))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-smuggled',
    });
    expect((await post(form, 'x', { 'x-ignore-note': 'anything' })).status).toBe(204);
  });

  test('the bucket condition must name the bucket posted to', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice), { conditions: [{ bucket: 'another-bucket' }, ['content-length-range', 1, 10]] });
    expect(await failure(await post(form, 'x'))).toMatchObject({ status: 403, message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "another-bucket"]' });
  });

  test('starts-with on a field S3 matches only exactly (success_action_status) fails', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice), { conditions: [['starts-with', '$success_action_status', ''], ['content-length-range', 1, 10]] });
    expect(await failure(await post(form, 'x', { success_action_status: '201' }))).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  test('a policy replaced by text that is not base64 JSON fails the signature first (403 SignatureDoesNotMatch)', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice));
    const broken = { ...form, fields: { ...form.fields, Policy: 'not base64!' } };
    expect(await failure(await post(broken, 'x'))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });
});

describe('POST Object: the signature and the credentials', () => {
  test('a policy changed after signing is 403 SignatureDoesNotMatch', async () => {
    const key = keyOf(s3.alice);
    const form = await presign(s3.alice, key, { conditions: [['content-length-range', 1, 5]] });
    const document = JSON.parse(Buffer.from(form.fields.Policy!, 'base64').toString('utf8')) as { conditions: unknown[] };
    document.conditions = document.conditions.map((condition) => (Array.isArray(condition) && condition[0] === 'content-length-range' ? ['content-length-range', 1, 10_000_000] : condition));
    const forged = { ...form, fields: { ...form.fields, Policy: Buffer.from(JSON.stringify(document)).toString('base64') } };
    expect(await failure(await post(forged, 'x'.repeat(100)))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await exists(s3.alice, key)).toBe(false);
  });

  test('the security token must be the one issued with the key: missing or another one is InvalidToken', async () => {
    const form = await presign(s3.alice, keyOf(s3.alice));
    const { 'X-Amz-Security-Token': _token, ...withoutToken } = form.fields;
    expect(await failure(await post({ ...form, fields: withoutToken }, 'x'))).toMatchObject({ status: 400, code: 'InvalidToken' });
    const otherToken = { ...form, fields: { ...form.fields, 'X-Amz-Security-Token': s3.bob.credentials.sessionToken } };
    expect(await failure(await post(otherToken, 'x'))).toMatchObject({ code: 'InvalidToken' });
  });

  test('an unknown access key is 403 InvalidAccessKeyId; expired credentials are ExpiredToken', async () => {
    const stranger = issueCredentials(`${REGION}:stranger`);
    const unknown = await createPresignedPost(s3Client(s3.endpoint, stranger), { Bucket: BUCKET, Key: `users/${REGION}:stranger/x`, Expires: 60 });
    expect(await failure(await post(unknown, 'x'))).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    const expired = { ...issueCredentials(s3.alice.id), expiration: new Date(Date.now() - 1000).toISOString() };
    const client = s3.addCredentials(expired);
    const form = await createPresignedPost(client, { Bucket: BUCKET, Key: keyOf(s3.alice), Expires: 60 });
    expect(await failure(await post(form, 'x'))).toMatchObject({ code: 'ExpiredToken' });
  });

  test('a form without a policy is anonymous and refused; signature fields without a policy name the missing field', async () => {
    const anonymous = new FormData();
    anonymous.append('key', keyOf(s3.alice));
    anonymous.append('file', new Blob(['x']), 'x');
    expect(await failure(await fetch(`${s3.endpoint}/${BUCKET}`, { method: 'POST', body: anonymous }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    const form = await presign(s3.alice, keyOf(s3.alice));
    const { Policy: _policy, ...withoutPolicy } = form.fields;
    expect(await failure(await post({ ...form, fields: withoutPolicy }, 'x'))).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining("field named 'policy'") });
  });
});

describe('POST Object: authorization is PutObject through the same policies', () => {
  test("a form alice signs for bob's folder passes the policy but IAM denies it: 403 Access Denied, nothing stored", async () => {
    const key = keyOf(s3.bob);
    const response = await post(await presign(s3.alice, key), 'intruder');
    expect(await failure(response)).toEqual({ status: 403, code: 'AccessDenied', message: 'Access Denied' });
    expect(await exists(s3.bob, key)).toBe(false);
  });

  test('prefix confusion: an identity whose id is a prefix of another cannot post into the other folder', async () => {
    const short = `${REGION}:conf-${randomBytes(3).toString('hex')}`;
    const shortIdentity = { id: short, credentials: issueCredentials(short), prefix: `users/${short}/` } as TestIdentity;
    shortIdentity.client = s3.addCredentials(shortIdentity.credentials);
    const longer = `${short}d`;
    for (const key of [`users/${longer}/x.jpg`, `users/${short}d`, `users/${short}`]) {
      expect(await failure(await post(await presign(shortIdentity, key), 'x'))).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Access Denied' });
    }
    expect((await post(await presign(shortIdentity, `users/${short}/own.jpg`), 'x')).status).toBe(204);
  });

  test('the decision is s3:PutObject on the key with s3:authType POST and s3:x-amz-server-side-encryption from the form', async () => {
    const key = keyOf(s3.alice);
    await post(await presign(s3.alice, key, { fields: { 'x-amz-server-side-encryption': 'AES256' } }), 'x');
    const decision = s3.decisions.findLast((entry) => entry.resource === `arn:aws:s3:::${BUCKET}/${key}`);
    expect(decision?.action).toBe('s3:PutObject');
    expect(decision?.context['s3:authType']).toBe('POST');
    expect(decision?.context['s3:x-amz-server-side-encryption']).toBe('AES256');
    expect(decision?.context['cognito-identity.amazonaws.com:sub']).toBe(s3.alice.id);
    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ServerSideEncryption).toBe('AES256');
  });

  test('acl other than private is AccessControlListNotSupported; tagging is refused as on PutObject', async () => {
    const publicRead = await presign(s3.alice, keyOf(s3.alice), { fields: { acl: 'public-read' } });
    expect(await failure(await post(publicRead, 'x'))).toMatchObject({ code: 'AccessControlListNotSupported' });
    const privateAcl = await presign(s3.alice, keyOf(s3.alice), { fields: { acl: 'private' } });
    expect((await post(privateAcl, 'x')).status).toBe(204);
    const tagged = await presign(s3.alice, keyOf(s3.alice), { fields: { tagging: '<Tagging/>' } });
    expect(await failure(await post(tagged, 'x'))).toMatchObject({ status: 501, code: 'NotImplemented' });
  });
});

describe('POST Object: CORS', () => {
  test('a preflight for POST on the bucket from an allowed origin is allowed; from another origin refused', async () => {
    const preflight = (origin: string) =>
      sendRaw(s3.endpoint, { method: 'OPTIONS', path: `/${BUCKET}`, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed !== 'destroyed' && allowed.status).toBe(200);
    expect(allowed !== 'destroyed' && allowed.headers['access-control-allow-methods']).toContain('POST');
    expect(errorCode(await preflight('https://evil.example'))).toBe('AccessForbidden');
  });

  test('the POST from an allowed origin carries Access-Control-Allow-Origin, also on a refusal', async () => {
    const ok = await post(await presign(s3.alice, keyOf(s3.alice)), 'x', {}, { origin: ALLOWED_ORIGIN });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const refused = await post(await presign(s3.alice, keyOf(s3.bob)), 'x', {}, { origin: ALLOWED_ORIGIN });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
  });
});
