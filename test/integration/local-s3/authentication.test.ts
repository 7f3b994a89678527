import { createHmac } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, issueCredentials, s3Client, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { expectServiceError } from '../service-error-assertions.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}shared.txt`, Body: 'share me' }));
});
afterAll(() => s3.close());

async function errorCodeOf(response: Response): Promise<string | undefined> {
  return /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
}

describe('pre-signed URLs', () => {
  /** What AWS CLI v1 and s3cmd make by default: HMAC-SHA1 over S3's SigV2 string to sign. */
  const sigV2Signature = (stringToSign: string) => createHmac('sha1', s3.alice.credentials.secretAccessKey).update(stringToSign).digest('base64');
  const SIGV2_REFUSAL = 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

  test('a SigV2 pre-signed URL is 400 InvalidRequest (use AWS4-HMAC-SHA256), as on S3, not AccessDenied', async () => {
    const resource = `/${BUCKET}/${s3.alice.prefix}shared.txt`;
    const expires = String(Math.floor(Date.now() / 1000) + 600);
    const query = new URLSearchParams({ AWSAccessKeyId: s3.alice.credentials.accessKeyId, Expires: expires, Signature: sigV2Signature(`GET\n\n\n${expires}\nx-amz-security-token:${s3.alice.credentials.sessionToken}\n${resource}`), 'x-amz-security-token': s3.alice.credentials.sessionToken });
    const response = await fetch(`${s3.endpoint}${resource.replace(/:/g, '%3A')}?${query.toString()}`);
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('<Code>InvalidRequest</Code>');
    expect(body).toContain(SIGV2_REFUSAL);
  });

  test('a SigV2 Authorization header (AWS key:signature) is 400 InvalidRequest with the same message', async () => {
    const resource = `/${BUCKET}/${s3.alice.prefix}shared.txt`;
    const date = new Date().toUTCString();
    const response = await fetch(`${s3.endpoint}${resource.replace(/:/g, '%3A')}`, {
      headers: { date, 'x-amz-security-token': s3.alice.credentials.sessionToken, authorization: `AWS ${s3.alice.credentials.accessKeyId}:${sigV2Signature(`GET\n\n\n${date}\n${resource}`)}` },
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('<Code>InvalidRequest</Code>');
    expect(body).toContain(SIGV2_REFUSAL);
  });

  test('a pre-signed GET downloads the object without any other credentials', async () => {
    const url = await getSignedUrl(s3.alice.client, new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}shared.txt`, ResponseContentDisposition: 'attachment; filename="s.txt"' }), { expiresIn: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="s.txt"');
    expect(await response.text()).toBe('share me');
    const decision = s3.decisions.at(-1);
    expect(decision?.context['s3:authType']).toBe('REST-QUERY-STRING');
    expect(Number(decision?.context['s3:signatureAge'])).toBeGreaterThanOrEqual(0);
  });

  test('a pre-signed PUT uploads, and a pre-signed URL for the other prefix is still AccessDenied', async () => {
    const key = `${s3.alice.prefix}presigned-upload.txt`;
    const url = await getSignedUrl(s3.alice.client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 });
    const put = await fetch(url, { method: 'PUT', body: 'uploaded by url' });
    expect(put.status).toBe(200);
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body?.transformToString()).toBe('uploaded by url');

    const foreign = await getSignedUrl(s3.alice.client, new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.bob.prefix}x.txt` }), { expiresIn: 60 });
    const denied = await fetch(foreign, { method: 'PUT', body: 'no' });
    expect(denied.status).toBe(403);
    expect(await errorCodeOf(denied)).toBe('AccessDenied');
  });

  test('an expired pre-signed URL is AccessDenied "Request has expired"', async () => {
    const signedTwoMinutesAgo = await getSignedUrl(s3.alice.client, new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}shared.txt` }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const response = await fetch(signedTwoMinutesAgo);
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('Request has expired');
  });

  test('a tampered pre-signed URL (other key, longer expiry) is SignatureDoesNotMatch', async () => {
    const url = await getSignedUrl(s3.alice.client, new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}shared.txt` }), { expiresIn: 60 });
    for (const tampered of [url.replace('shared.txt', 'other.txt'), url.replace('X-Amz-Expires=60', 'X-Amz-Expires=600')]) {
      const response = await fetch(tampered);
      expect(response.status).toBe(403);
      expect(await errorCodeOf(response)).toBe('SignatureDoesNotMatch');
    }
  });

  test('X-Amz-Expires over seven days is refused', async () => {
    const url = await getSignedUrl(s3.alice.client, new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}shared.txt` }), { expiresIn: 60 });
    const response = await fetch(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801'));
    expect(response.status).toBe(400);
    expect(await errorCodeOf(response)).toBe('AuthorizationQueryParametersError');
  });

  test('a pre-signed URL stops working when its credentials expire, whatever its own expiry', async () => {
    const shortLived = issueCredentials(s3.alice.id, 2);
    const client = s3.addCredentials(shortLived);
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}shared.txt` }), { expiresIn: 3600 });
    expect((await fetch(url)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(await errorCodeOf(response)).toBe('ExpiredToken');
  });
});

describe('Authorization header failures carry S3 error codes', () => {
  const listOwn = (): ListObjectsV2Command => new ListObjectsV2Command({ Bucket: BUCKET, Prefix: s3.alice.prefix });

  test('expired credentials are ExpiredToken', async () => {
    const expired = issueCredentials(s3.alice.id, -60);
    await expectServiceError(s3.addCredentials(expired).send(listOwn()), 'ExpiredToken', 400);
  });

  test('a wrong secret is SignatureDoesNotMatch', async () => {
    const client = s3Client(s3.endpoint, { ...s3.alice.credentials, secretAccessKey: 'wrong-secret' });
    await expectServiceError(client.send(listOwn()), 'SignatureDoesNotMatch', 403);
  });

  test('an unknown access key is InvalidAccessKeyId', async () => {
    await expectServiceError(s3Client(s3.endpoint, issueCredentials(s3.alice.id)).send(listOwn()), 'InvalidAccessKeyId', 403);
  });

  test('a wrong or missing session token is InvalidToken', async () => {
    await expectServiceError(s3Client(s3.endpoint, { ...s3.alice.credentials, sessionToken: 'forged' }).send(listOwn()), 'InvalidToken', 400);
    const withoutToken = s3Client(s3.endpoint, s3.alice.credentials, {
      credentials: { accessKeyId: s3.alice.credentials.accessKeyId, secretAccessKey: s3.alice.credentials.secretAccessKey },
    });
    await expectServiceError(withoutToken.send(listOwn()), 'InvalidToken', 400);
  });

  test('a clock more than 15 minutes off is RequestTimeTooSkewed', async () => {
    const skewed = s3Client(s3.endpoint, s3.alice.credentials, { systemClockOffset: -20 * 60 * 1000, maxAttempts: 1 });
    await expectServiceError(skewed.send(listOwn()), 'RequestTimeTooSkewed', 403);
  });

  test('a signature for another region is AuthorizationHeaderMalformed', async () => {
    await expectServiceError(s3Client(s3.endpoint, s3.alice.credentials, { region: 'eu-west-1' }).send(listOwn()), 'AuthorizationHeaderMalformed', 400);
  });

  test('a request without any authentication is AccessDenied', async () => {
    const response = await fetch(`${s3.endpoint}/${BUCKET}/${s3.alice.prefix}shared.txt`);
    expect(response.status).toBe(403);
    expect(await errorCodeOf(response)).toBe('AccessDenied');
  });
});
