import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, s3Client, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';

/**
 * Checksums and pre-signed PUT URLs, as S3 treats them. S3 verifies an `x-amz-checksum-*` sent as
 * a header, but ignores checksum parameters in a pre-signed URL's query string: the JavaScript
 * SDK (3.729 on) signs the CRC32 of an empty body there by default, and real S3 stores the upload
 * anyway (LocalStack, which is checked against AWS, ignores them for that reason; stores that do
 * check them, such as R2 and MinIO, refuse every real upload through such a URL). The library's
 * links carry none; a link that must bind a checksum signs it as a header.
 */
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.close();
});

const BODY = 'a body that is not empty';
const crc32Base64 = (text: string): string => {
  const digest = Buffer.alloc(4);
  digest.writeUInt32BE(crc32(Buffer.from(text)));
  return digest.toString('base64');
};
const freshKey = (): string => `${s3.alice.prefix}presigned-${randomBytes(4).toString('hex')}.txt`;

async function stored(key: string): Promise<string | undefined> {
  return s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).then(
    async (object) => object.Body?.transformToString(),
    () => undefined,
  );
}

describe('pre-signed PUT URLs and checksums', () => {
  test("a URL presigned by a default client carries the empty body's CRC32 in its query; as on S3, it does not bind the upload", async () => {
    const key = freshKey();
    const url = await getSignedUrl(s3Client(s3.endpoint, s3.alice.credentials), new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    expect(new URL(url).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    const response = await fetch(url, { method: 'PUT', body: BODY });
    expect(response.status).toBe(200);
    expect(await stored(key)).toBe(BODY);
  });

  test('a checksum signed as a header binds the upload: another body is 400 BadDigest and nothing is stored; the right one is stored with it', async () => {
    const client = s3Client(s3.endpoint, s3.alice.credentials, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const headerLink = async (key: string, checksum: string): Promise<string> =>
      getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key, ChecksumCRC32: checksum }), { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-checksum-crc32']) });

    const refusedKey = freshKey();
    const emptyBodyChecksum = 'AAAAAA==';
    const refused = await fetch(await headerLink(refusedKey, emptyBodyChecksum), { method: 'PUT', body: BODY, headers: { 'x-amz-checksum-crc32': emptyBodyChecksum } });
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(/<Code>([^<]+)<\/Code>/.exec(text)?.[1]).toBe('BadDigest');
    expect(text).toContain('The CRC32 you specified did not match the calculated checksum.');
    expect(await stored(refusedKey)).toBeUndefined();

    const acceptedKey = freshKey();
    const checksum = crc32Base64(BODY);
    const accepted = await fetch(await headerLink(acceptedKey, checksum), { method: 'PUT', body: BODY, headers: { 'x-amz-checksum-crc32': checksum } });
    expect(accepted.status).toBe(200);
    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: acceptedKey, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC32).toBe(checksum);
  });

  test('the signed header cannot be left out or changed: 403 SignatureDoesNotMatch', async () => {
    const key = freshKey();
    const client = s3Client(s3.endpoint, s3.alice.credentials, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const checksum = crc32Base64(BODY);
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key, ChecksumCRC32: checksum }), { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-checksum-crc32']) });
    expect((await fetch(url, { method: 'PUT', body: BODY })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', body: 'other', headers: { 'x-amz-checksum-crc32': crc32Base64('other') } })).status).toBe(403);
    expect(await stored(key)).toBeUndefined();
  });
});
