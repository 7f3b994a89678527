import { createHmac, randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { BUCKET, REGION, startLocalS3, type LocalS3, type TestIdentity } from './local-s3-fixture.ts';

/**
 * Forms signed by hand, so the fields an SDK always gets right (the signature's hex case, an
 * x-amz-date that agrees with the credential scope) can be got wrong on purpose.
 */
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.close();
});

const DAY_MS = 24 * 3600 * 1000;

/** `yyyyMMddTHHmmssZ`. */
function longDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function hmac(key: Buffer | string, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

interface HandSignedForm {
  fields: Record<string, string>;
}

/** A POST form signed as SigV4 signs a policy: HMAC of the base64 policy with the scope day's signing key. */
function signForm(credentials: IssuedCredentials, key: string, options: { amzDate: Date; scopeDay?: string; expiration: Date }): HandSignedForm {
  const amzDate = longDate(options.amzDate);
  const scopeDay = options.scopeDay ?? amzDate.slice(0, 8);
  const credential = `${credentials.accessKeyId}/${scopeDay}/${REGION}/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration: options.expiration.toISOString(),
      conditions: [
        { bucket: BUCKET },
        { key },
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': credential },
        { 'x-amz-date': amzDate },
        { 'x-amz-security-token': credentials.sessionToken },
      ],
    }),
  ).toString('base64');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, scopeDay), REGION), 's3'), 'aws4_request');
  return {
    fields: {
      key,
      policy,
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': credential,
      'x-amz-date': amzDate,
      'x-amz-security-token': credentials.sessionToken,
      'x-amz-signature': hmac(signingKey, policy).toString('hex'),
    },
  };
}

async function post(form: HandSignedForm, override: Record<string, string> = {}): Promise<{ status: number; code?: string; message?: string }> {
  const body = new FormData();
  for (const [name, value] of Object.entries({ ...form.fields, ...override })) body.append(name, value);
  body.append('file', new Blob(['form bytes']), 'f.bin');
  const response = await fetch(`${s3.endpoint}/${BUCKET}`, { method: 'POST', body });
  const text = await response.text();
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return { status: response.status, ...(code !== undefined && { code }), ...(message !== undefined && { message }) };
}

async function exists(identity: TestIdentity, key: string): Promise<boolean> {
  return identity.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
}

const freshKey = (identity: TestIdentity): string => `${identity.prefix}signed-${randomBytes(4).toString('hex')}.bin`;
const inTenMinutes = (): Date => new Date(Date.now() + 600_000);

describe('POST Object: the signature fields as S3 reads them', () => {
  test('a form signed by hand uploads (the helper signs as S3 expects)', async () => {
    const key = freshKey(s3.alice);
    expect(await post(signForm(s3.alice.credentials, key, { amzDate: new Date(), expiration: inTenMinutes() }))).toEqual({ status: 204 });
    expect(await exists(s3.alice, key)).toBe(true);
  });

  test('the signature is lower-case hex compared exactly: the same digest in upper case is 403 SignatureDoesNotMatch, nothing stored', async () => {
    const key = freshKey(s3.alice);
    const form = signForm(s3.alice.credentials, key, { amzDate: new Date(), expiration: inTenMinutes() });
    const upper = form.fields['x-amz-signature']!.toUpperCase();
    expect(upper).not.toBe(form.fields['x-amz-signature']);
    expect(await post(form, { 'x-amz-signature': upper })).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await exists(s3.alice, key)).toBe(false);
    const mixed = form.fields['x-amz-signature']!.replace(/[a-f]/, (letter) => letter.toUpperCase());
    expect(await post(form, { 'x-amz-signature': mixed })).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await post(form)).toEqual({ status: 204 });
  });

  test("an x-amz-date on another day than the credential scope's is refused, though the policy covers it and the signature matches", async () => {
    const key = freshKey(s3.alice);
    const yesterday = longDate(new Date(Date.now() - DAY_MS)).slice(0, 8);
    const form = signForm(s3.alice.credentials, key, { amzDate: new Date(), scopeDay: yesterday, expiration: inTenMinutes() });
    expect(await post(form)).toEqual({
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.',
    });
    expect(await exists(s3.alice, key)).toBe(false);
  });

  test('an x-amz-date that is not the ISO 8601 long form is refused', async () => {
    const key = freshKey(s3.alice);
    const form = signForm(s3.alice.credentials, key, { amzDate: new Date(), expiration: inTenMinutes() });
    const today = form.fields['x-amz-date']!.slice(0, 8);
    expect(await post(form, { 'x-amz-date': `${today}T25:00:00` })).toMatchObject({ status: 400, code: 'AuthorizationQueryParametersError' });
    expect(await exists(s3.alice, key)).toBe(false);
  });

  test('the policy expiration governs the lifetime: a form signed three days ago whose policy still runs uploads', async () => {
    const key = freshKey(s3.alice);
    const form = signForm(s3.alice.credentials, key, { amzDate: new Date(Date.now() - 3 * DAY_MS), expiration: inTenMinutes() });
    expect(await post(form)).toEqual({ status: 204 });
    expect(await exists(s3.alice, key)).toBe(true);
  });

  test('a form signed just now whose policy has expired is refused (the fresh date does not extend it)', async () => {
    const key = freshKey(s3.alice);
    const form = signForm(s3.alice.credentials, key, { amzDate: new Date(), expiration: new Date(Date.now() - 1000) });
    expect(await post(form)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
    expect(await exists(s3.alice, key)).toBe(false);
  });
});
