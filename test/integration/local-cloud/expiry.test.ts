import { request } from 'node:https';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComposedCloud, type ComposedCloud } from './composed-cloud.ts';
import { expectServiceError } from '../service-error-assertions.ts';

const CREDENTIALS_LIFETIME_SECONDS = 3;

/**
 * What expires on the composed local cloud: temporary credentials (S3 says ExpiredToken), OpenID
 * tokens (Cognito says NotAuthorizedException), pre-signed URLs past X-Amz-Expires, and pre-signed
 * URLs whose signing credentials expired before the URL did.
 */
describe('expiry of tokens, credentials and pre-signed URLs', () => {
  let composed: ComposedCloud;

  beforeAll(async () => {
    composed = await startComposedCloud({ credentialsLifetimeSeconds: CREDENTIALS_LIFETIME_SECONDS });
  });
  afterAll(() => composed?.close());

  const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  /** Waits until `time` has passed by a margin (the local cloud compares whole seconds). */
  const waitUntilPast = (time: Date) => sleep(Math.max(0, time.getTime() - Date.now()) / 1000 + 1.2);

  /** An anonymous GET of a URL, trusting the local cloud's CA. */
  const fetchAnonymously = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      request(url, { ca: composed.caCertificate }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      })
        .on('error', reject)
        .end();
    });

  async function signedInWithStaticCredentials(user: string) {
    const { identityId, token } = await composed.openIdToken(user);
    const credentials = await composed.exchange(identityId, token);
    return { identityId, token, credentials, prefix: `users/${identityId}/`, s3: composed.s3With(credentials) };
  }

  it('issues credentials that live as long as configured', async () => {
    const { credentials } = await signedInWithStaticCredentials('alice');
    const lifetimeSeconds = (credentials.expiration.getTime() - Date.now()) / 1000;
    expect(lifetimeSeconds).toBeGreaterThan(0);
    expect(lifetimeSeconds).toBeLessThanOrEqual(CREDENTIALS_LIFETIME_SECONDS + 1);
  });

  it('refuses expired credentials on S3 with ExpiredToken; fresh ones from the same token work', async () => {
    const alice = await signedInWithStaticCredentials('alice');
    const key = `${alice.prefix}before-expiry.txt`;
    await alice.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: 'written in time' }));
    await waitUntilPast(alice.credentials.expiration);
    await expectServiceError(alice.s3.send(new GetObjectCommand({ Bucket: composed.bucket, Key: key })), 'ExpiredToken', 400);
    await expectServiceError(alice.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: 'too late' })), 'ExpiredToken', 400);

    const fresh = composed.s3With(await composed.exchange(alice.identityId, alice.token));
    const body = await (await fresh.send(new GetObjectCommand({ Bucket: composed.bucket, Key: key }))).Body!.transformToString();
    expect(body).toBe('written in time');
  });

  it('refuses an expired OpenID token with NotAuthorizedException; a new token works', async () => {
    const { identityId, token } = await composed.openIdToken('bob', { tokenDurationSeconds: 1 });
    await sleep(2.2);
    const error = await expectServiceError(composed.exchange(identityId, token), 'NotAuthorizedException', 400);
    expect(error.message).toMatch(/expired|invalid/i);
    const renewed = await composed.openIdToken('bob', { tokenDurationSeconds: 60 });
    expect(renewed.identityId).toBe(identityId);
    expect((await composed.exchange(renewed.identityId, renewed.token)).accessKeyId).toMatch(/^ASIA/);
  });

  it('refuses a pre-signed URL past its X-Amz-Expires with 403', async () => {
    const alice = await signedInWithStaticCredentials('alice');
    const key = `${alice.prefix}short-link.txt`;
    await alice.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: 'briefly shared' }));
    const url = await getSignedUrl(alice.s3, new GetObjectCommand({ Bucket: composed.bucket, Key: key }), { expiresIn: 1 });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('1');
    expect(await fetchAnonymously(url)).toEqual({ status: 200, body: 'briefly shared' });
    await sleep(2.2);
    const late = await fetchAnonymously(url);
    expect(late.status).toBe(403);
    expect(late.body).toContain('<Code>AccessDenied</Code>');
    expect(late.body).toMatch(/expired/i);
  });

  it('refuses a pre-signed URL whose credentials expired, even though X-Amz-Expires is longer', async () => {
    const alice = await signedInWithStaticCredentials('alice');
    const key = `${alice.prefix}long-link.txt`;
    await alice.s3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: key, Body: 'shared for an hour?' }));
    const url = await getSignedUrl(alice.s3, new GetObjectCommand({ Bucket: composed.bucket, Key: key }), { expiresIn: 3600 });
    expect(await fetchAnonymously(url)).toEqual({ status: 200, body: 'shared for an hour?' });
    await waitUntilPast(alice.credentials.expiration);
    const late = await fetchAnonymously(url);
    expect(late.status).toBe(400);
    expect(late.body).toContain('<Code>ExpiredToken</Code>');
  });
});
