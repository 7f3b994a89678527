import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { expectHttpStatus, expectServiceError } from '../service-error-assertions.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(() => s3.close());

describe('single objects on the own prefix', () => {
  test('PutObject stores the body with its headers, metadata and encryption, GetObject and HeadObject echo them', async () => {
    const key = `${s3.alice.prefix}docs/report.txt`;
    const put = await s3.alice.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: 'quarterly numbers',
        ContentType: 'text/plain; charset=utf-8',
        ContentDisposition: 'attachment; filename="report.txt"',
        CacheControl: 'max-age=60',
        Metadata: { origin: 'unit-test', 'two-words': 'a b' },
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put.ServerSideEncryption).toBe('AES256');

    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body?.transformToString()).toBe('quarterly numbers');
    expect(got.ContentType).toBe('text/plain; charset=utf-8');
    expect(got.ContentDisposition).toBe('attachment; filename="report.txt"');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.Metadata).toEqual({ origin: 'unit-test', 'two-words': 'a b' });
    expect(got.ETag).toBe(put.ETag);
    expect(got.ServerSideEncryption).toBe('AES256');
    expect(got.ContentLength).toBe(17);

    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(17);
    expect(head.ETag).toBe(put.ETag);
    expect(head.LastModified).toBeInstanceOf(Date);
  });

  test('the ETag of a single PUT is the MD5 of the body, and aws:kms encryption echoes its key id', async () => {
    const key = `${s3.alice.prefix}kms.bin`;
    const put = await s3.alice.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:us-east-1:000000000000:key/test' }),
    );
    expect(put.ETag).toBe('"5d41402abc4b2a76b9719d911017c592"');
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe('arn:aws:kms:us-east-1:000000000000:key/test');
    const head = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.SSEKMSKeyId).toBe('arn:aws:kms:us-east-1:000000000000:key/test');
  });

  test('keys with spaces, unicode, plus signs and ../ segments round-trip as plain keys', async () => {
    for (const name of ['with space.txt', 'ünïcødé/文件.txt', 'a+b=c&d.txt', '../../../escape.txt', 'dir/./x', '%2F..%2Fencoded']) {
      const key = `${s3.alice.prefix}${name}`;
      await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: name }));
      const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await got.Body?.transformToString()).toBe(name);
    }
  });

  test('DeleteObject removes the object; deleting a missing key still answers 204', async () => {
    const key = `${s3.alice.prefix}to-delete.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const deleted = await s3.alice.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await s3.alice.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })), 'AccessDenied', 403);
  });

  test('a missing key is NoSuchKey only for callers allowed to list the bucket, AccessDenied otherwise (as S3)', async () => {
    const s3WithListing = await startLocalS3({ authorize: () => ({ allowed: true }) });
    try {
      await expectServiceError(s3WithListing.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing' })), 'NoSuchKey', 404);
      await expectServiceError(s3WithListing.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'missing' })), 'NotFound', 404);
    } finally {
      await s3WithListing.close();
    }
  });

  test('unknown buckets are NoSuchBucket; HeadBucket and GetBucketLocation answer for the served bucket', async () => {
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' })), 'NoSuchBucket', 404);
    const location = await s3.alice.client.send(new GetBucketLocationCommand({ Bucket: BUCKET }));
    expect(location.LocationConstraint).toBeUndefined();
    // HeadBucket is s3:ListBucket without a prefix: the own-prefix policy does not grant it.
    await expectHttpStatus(s3.alice.client.send(new HeadBucketCommand({ Bucket: BUCKET })), 403);
  });

  test('user metadata over 2 KB is MetadataTooLarge; keys over 1024 bytes are KeyTooLongError', async () => {
    await expectServiceError(
      s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}meta`, Body: 'x', Metadata: { big: 'v'.repeat(2100) } })),
      'MetadataTooLarge',
      400,
    );
    await expectServiceError(s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}${'k'.repeat(1100)}`, Body: 'x' })), 'KeyTooLongError', 400);
  });
});

describe('the other identity prefix is off limits', () => {
  test('Put, Get, Head, Delete and List on the other prefix are AccessDenied', async () => {
    const bobKey = `${s3.bob.prefix}private.txt`;
    await s3.bob.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: bobKey, Body: 'bob only' }));
    await expectServiceError(s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: bobKey, Body: 'overwrite' })), 'AccessDenied', 403);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: bobKey })), 'AccessDenied', 403);
    await expectHttpStatus(s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: bobKey })), 403);
    await expectServiceError(s3.alice.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: bobKey })), 'AccessDenied', 403);
    await expectServiceError(s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: s3.bob.prefix })), 'AccessDenied', 403);
    await expectServiceError(s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET })), 'AccessDenied', 403);
    const still = await s3.bob.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: bobKey }));
    expect(await still.Body?.transformToString()).toBe('bob only');
  });

  test('the authorizer sees the action, resource and S3 condition keys', async () => {
    s3.decisions.length = 0;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}ctx.txt`, Body: 'x', ServerSideEncryption: 'AES256' }));
    const [decision] = s3.decisions;
    expect(decision?.action).toBe('s3:PutObject');
    expect(decision?.resource).toBe(`arn:aws:s3:::${BUCKET}/${s3.alice.prefix}ctx.txt`);
    expect(decision?.context).toMatchObject({
      'aws:SecureTransport': 'true',
      'aws:SourceIp': '127.0.0.1',
      'aws:userid': s3.alice.credentials.userId,
      'cognito-identity.amazonaws.com:sub': s3.alice.id,
      's3:authType': 'REST-HEADER',
      's3:signatureversion': 'AWS4-HMAC-SHA256',
      's3:x-amz-server-side-encryption': 'AES256',
    });
    expect(decision?.context['aws:EpochTime']).toMatch(/^\d+$/);
    expect(decision?.context['s3:x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);

    s3.decisions.length = 0;
    await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: s3.alice.prefix, Delimiter: '/', MaxKeys: 10 }));
    expect(s3.decisions[0]?.action).toBe('s3:ListBucket');
    expect(s3.decisions[0]?.resource).toBe(`arn:aws:s3:::${BUCKET}`);
    expect(s3.decisions[0]?.context).toMatchObject({ 's3:prefix': s3.alice.prefix, 's3:delimiter': '/', 's3:max-keys': '10' });
  });
});

describe('DeleteObjects', () => {
  test('deletes the own keys and reports AccessDenied for the other identity keys, per key', async () => {
    const own = [`${s3.alice.prefix}batch/1`, `${s3.alice.prefix}batch/2`];
    const foreign = `${s3.bob.prefix}batch/3`;
    for (const key of own) await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    await s3.bob.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: foreign, Body: 'bob' }));
    const result = await s3.alice.client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [...own, foreign].map((Key) => ({ Key })) } }));
    expect(result.Deleted?.map((deleted) => deleted.Key).sort()).toEqual(own);
    expect(result.Errors).toEqual([{ Key: foreign, Code: 'AccessDenied', Message: 'Access Denied' }]);
    await s3.bob.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: foreign }));
  });

  test('keys holding characters the SDK sends as character references (CR, LF, U+2028) are really deleted', async () => {
    const keys = [`${s3.alice.prefix}refs/cr\rlf\n`, `${s3.alice.prefix}refs/a\u2028b`, `${s3.alice.prefix}refs/amp&#65;literal`];
    for (const key of keys) await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const result = await s3.alice.client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    expect(result.Errors).toBeUndefined();
    expect(result.Deleted).toHaveLength(keys.length);
    const listed = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${s3.alice.prefix}refs/` }));
    expect(listed.KeyCount).toBe(0);
  });

  test('Quiet mode reports only the errors', async () => {
    const key = `${s3.alice.prefix}quiet/1`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const result = await s3.alice.client.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Quiet: true, Objects: [{ Key: key }, { Key: `${s3.bob.prefix}quiet` }] } }),
    );
    expect(result.Deleted).toBeUndefined();
    expect(result.Errors?.map((error) => error.Code)).toEqual(['AccessDenied']);
  });
});

describe('CopyObject', () => {
  test('copies within the own prefix keeping metadata (COPY) or replacing it (REPLACE)', async () => {
    const source = `${s3.alice.prefix}copy/source.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: source, Body: 'copy me', ContentType: 'text/plain', Metadata: { a: '1' } }));
    const copied = await s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}copy/kept.txt`, CopySource: `${BUCKET}/${source}` }));
    expect(copied.CopyObjectResult?.ETag).toBe((await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: source }))).ETag);
    const kept = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}copy/kept.txt` }));
    expect(await kept.Body?.transformToString()).toBe('copy me');
    expect(kept.Metadata).toEqual({ a: '1' });
    expect(kept.ContentType).toBe('text/plain');

    await s3.alice.client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: `${s3.alice.prefix}copy/replaced.txt`,
        CopySource: encodeURIComponent(`${BUCKET}/${source}`),
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { b: '2' },
      }),
    );
    const replaced = await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}copy/replaced.txt` }));
    expect(replaced.Metadata).toEqual({ b: '2' });
    expect(replaced.ContentType).toBe('application/json');
  });

  test('copying from the other identity prefix is AccessDenied (s3:GetObject on the source)', async () => {
    const foreign = `${s3.bob.prefix}copy/secret.txt`;
    await s3.bob.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: foreign, Body: 'secret' }));
    await expectServiceError(
      s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}copy/stolen.txt`, CopySource: `${BUCKET}/${foreign}` })),
      'AccessDenied',
      403,
    );
    await expectServiceError(
      s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${s3.bob.prefix}copy/planted.txt`, CopySource: `${BUCKET}/${s3.alice.prefix}copy/source.txt` })),
      'AccessDenied',
      403,
    );
  });

  test('If-None-Match: * on CopyObject refuses to replace the destination, and copies onto a new key', async () => {
    const source = `${s3.alice.prefix}copy/conditional-source.txt`;
    const taken = `${s3.alice.prefix}copy/conditional-taken.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: source, Body: 'new bytes' }));
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: taken, Body: 'kept' }));
    await expectServiceError(s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: taken, CopySource: `${BUCKET}/${source}`, IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    expect(await (await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: taken }))).Body?.transformToString()).toBe('kept');
    const fresh = `${s3.alice.prefix}copy/conditional-fresh.txt`;
    await s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: fresh, CopySource: `${BUCKET}/${source}`, IfNoneMatch: '*' }));
    expect(await (await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: fresh }))).Body?.transformToString()).toBe('new bytes');
  });

  test('copying an object onto itself without changes is InvalidRequest', async () => {
    const key = `${s3.alice.prefix}copy/self.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    await expectServiceError(s3.alice.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: key, CopySource: `${BUCKET}/${key}` })), 'InvalidRequest', 400);
  });
});

describe('ranges and conditional requests', () => {
  const body = '0123456789abcdefghij';
  let key: string;
  let etag: string;
  beforeAll(async () => {
    key = `${s3.alice.prefix}range.txt`;
    etag = (await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))).ETag ?? '';
  });

  test.each([
    ['bytes=0-4', '01234', 'bytes 0-4/20'],
    ['bytes=15-', 'fghij', 'bytes 15-19/20'],
    ['bytes=-3', 'hij', 'bytes 17-19/20'],
    ['bytes=18-100', 'ij', 'bytes 18-19/20'],
  ])('Range %s', async (range, expected, contentRange) => {
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(got.ContentRange).toBe(contentRange);
    expect(await got.Body?.transformToString()).toBe(expected);
  });

  test('a range past the end is 416 InvalidRange', async () => {
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=20-' })), 'InvalidRange', 416);
  });

  test('If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since on GET and HEAD', async () => {
    const ok = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: etag }));
    expect(ok.$metadata.httpStatusCode).toBe(200);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: '"0000"' })), 'PreconditionFailed', 412);
    await expectHttpStatus(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfNoneMatch: etag })), 304);
    await expectHttpStatus(s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, IfNoneMatch: etag })), 304);
    const future = new Date(Date.now() + 3600_000);
    const past = new Date(Date.now() - 3600_000);
    await expectHttpStatus(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfModifiedSince: future })), 304);
    await expectServiceError(s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfUnmodifiedSince: past })), 'PreconditionFailed', 412);
    const modified = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfModifiedSince: past }));
    expect(modified.$metadata.httpStatusCode).toBe(200);
  });

  test('If-None-Match: * on PutObject refuses to overwrite; If-Match writes only over the named ETag', async () => {
    await expectServiceError(s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'new', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    const fresh = `${s3.alice.prefix}conditional-new.txt`;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: fresh, Body: 'first', IfNoneMatch: '*' }));
    await expectServiceError(s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: fresh, Body: 'second', IfMatch: '"0000"' })), 'PreconditionFailed', 412);
    const firstEtag = (await s3.alice.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: fresh }))).ETag;
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: fresh, Body: 'second', IfMatch: firstEtag }));
    const got = await s3.alice.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: fresh }));
    expect(await got.Body?.transformToString()).toBe('second');
  });
});

describe('ListObjectsV2', () => {
  const prefix = (): string => `${s3.alice.prefix}listing/`;
  beforeAll(async () => {
    const keys = ['a.txt', 'b.txt', 'photos/1.jpg', 'photos/2.jpg', 'photos/2024/x.jpg', 'videos/v.mp4', 'z.txt'];
    for (const key of keys) await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix()}${key}`, Body: key }));
  });

  test('with a delimiter rolls keys up into CommonPrefixes', async () => {
    const listed = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix(), Delimiter: '/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['a.txt', 'b.txt', 'z.txt'].map((name) => `${prefix()}${name}`));
    expect(listed.CommonPrefixes?.map((common) => common.Prefix)).toEqual([`${prefix()}photos/`, `${prefix()}videos/`]);
    expect(listed.KeyCount).toBe(5);
    expect(listed.IsTruncated).toBe(false);
    expect(listed.Contents?.[0]).toMatchObject({ Size: 5, StorageClass: 'STANDARD' });
  });

  test('pages with max-keys and continuation tokens, common prefixes included, without repeats', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix(), Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      pages++;
      seen.push(...(page.Contents ?? []).map((object) => object.Key as string), ...(page.CommonPrefixes ?? []).map((common) => common.Prefix as string));
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['a.txt', 'b.txt', 'photos/', 'videos/', 'z.txt'].map((name) => `${prefix()}${name}`).sort());
  });

  test('start-after, no delimiter, and encoding-type=url', async () => {
    const after = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix(), StartAfter: `${prefix()}photos/2024/x.jpg` }));
    expect(after.Contents?.map((object) => object.Key)).toEqual([`${prefix()}videos/v.mp4`, `${prefix()}z.txt`]);
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix()}enc/a b+c.txt`, Body: 'x' }));
    const encoded = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix()}enc/`, EncodingType: 'url' }));
    expect(encoded.EncodingType).toBe('url');
    expect(encoded.Contents?.map((object) => decodeURIComponent(object.Key ?? ''))).toEqual([`${prefix()}enc/a b+c.txt`]);
  });

  test('max-keys=0 lists nothing and is not truncated (no token to follow, so a paging client stops)', async () => {
    const page = await s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix(), MaxKeys: 0 }));
    expect(page.IsTruncated).toBe(false);
    expect(page.NextContinuationToken).toBeUndefined();
    expect(page.KeyCount).toBe(0);
    expect(page.Contents).toBeUndefined();
  });

  test('an invalid continuation token is InvalidArgument', async () => {
    await expectServiceError(s3.alice.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix(), ContinuationToken: 'not-a-token' })), 'InvalidArgument', 400);
  });
});
