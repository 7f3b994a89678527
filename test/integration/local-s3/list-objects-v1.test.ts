import { ListObjectsCommand, PutObjectCommand, type ListObjectsCommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, startLocalS3, type LocalS3 } from './local-s3-fixture.ts';
import { expectServiceError } from '../service-error-assertions.ts';

let s3: LocalS3;
const prefix = (): string => `${s3.alice.prefix}listing-v1/`;
const NAMES = ['a.txt', 'b.txt', 'photos/1.jpg', 'photos/2.jpg', 'photos/2024/x.jpg', 'videos/v.mp4', 'z.txt'];

beforeAll(async () => {
  s3 = await startLocalS3();
  for (const name of NAMES) await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix()}${name}`, Body: name }));
});
afterAll(() => s3.close());

function listed(page: ListObjectsCommandOutput): string[] {
  return [...(page.Contents ?? []).map((object) => object.Key as string), ...(page.CommonPrefixes ?? []).map((common) => common.Prefix as string)];
}

describe('ListObjects (v1)', () => {
  test('with a delimiter rolls keys up into CommonPrefixes; every entry has its owner, ETag, size and storage class', async () => {
    const page = await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), Delimiter: '/' }));
    expect(page.$metadata.httpStatusCode).toBe(200);
    expect(page.Contents?.map((object) => object.Key)).toEqual(['a.txt', 'b.txt', 'z.txt'].map((name) => `${prefix()}${name}`));
    expect(page.CommonPrefixes?.map((common) => common.Prefix)).toEqual([`${prefix()}photos/`, `${prefix()}videos/`]);
    expect(page).toMatchObject({ Name: BUCKET, Prefix: prefix(), Delimiter: '/', Marker: '', MaxKeys: 1000, IsTruncated: false });
    expect(page.NextMarker).toBeUndefined();
    const first = page.Contents?.[0];
    expect(first).toMatchObject({ Size: 5, StorageClass: 'STANDARD', ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/) as unknown });
    expect(first?.LastModified).toBeInstanceOf(Date);
    expect(first?.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
  });

  test('pages through NextMarker with a delimiter (common prefixes included, none repeated), as the paging clients do', async () => {
    const pages: Array<{ entries: string[]; nextMarker: string | undefined; isTruncated: boolean | undefined }> = [];
    let marker: string | undefined;
    do {
      const page = await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), Delimiter: '/', MaxKeys: 2, Marker: marker }));
      pages.push({ entries: listed(page), nextMarker: page.NextMarker, isTruncated: page.IsTruncated });
      marker = page.NextMarker;
    } while (marker !== undefined && pages.length < 10);
    expect(pages).toEqual([
      { entries: [`${prefix()}a.txt`, `${prefix()}b.txt`], nextMarker: `${prefix()}b.txt`, isTruncated: true },
      { entries: [`${prefix()}photos/`, `${prefix()}videos/`], nextMarker: `${prefix()}videos/`, isTruncated: true },
      { entries: [`${prefix()}z.txt`], nextMarker: undefined, isTruncated: false },
    ]);
  });

  test('without a delimiter there is no NextMarker: the last key is the next marker', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let truncated: boolean | undefined;
    let pages = 0;
    do {
      const page = await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), MaxKeys: 3, Marker: marker }));
      pages++;
      expect(page.NextMarker).toBeUndefined();
      seen.push(...listed(page));
      truncated = page.IsTruncated;
      marker = seen.at(-1);
    } while (truncated && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(NAMES.map((name) => `${prefix()}${name}`));
  });

  test('a marker that is a key lists the keys after it', async () => {
    const page = await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), Marker: `${prefix()}photos/1.jpg` }));
    expect(page.Marker).toBe(`${prefix()}photos/1.jpg`);
    expect(listed(page)).toEqual(['photos/2.jpg', 'photos/2024/x.jpg', 'videos/v.mp4', 'z.txt'].map((name) => `${prefix()}${name}`));
  });

  test('max-keys=0 lists nothing and is not truncated', async () => {
    const page = await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), MaxKeys: 0 }));
    expect(page.IsTruncated).toBe(false);
    expect(page.NextMarker).toBeUndefined();
    expect(listed(page)).toEqual([]);
  });

  test('encoding-type=url is echoed and applied', async () => {
    await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${s3.alice.prefix}listing-v1-enc/a&b.txt`, Body: 'x' }));
    const page = await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: `${s3.alice.prefix}listing-v1-enc/`, EncodingType: 'url' }));
    expect(page.EncodingType).toBe('url');
    expect(page.Contents?.map((object) => object.Key)).toEqual([expect.stringMatching(/\/a%26b\.txt$/)]);
    expect(page.Contents?.map((object) => decodeURIComponent(object.Key ?? ''))).toEqual([`${s3.alice.prefix}listing-v1-enc/a&b.txt`]);
  });

  test('is s3:ListBucket with the s3:prefix, s3:delimiter and s3:max-keys condition keys, like v2', async () => {
    await s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), Delimiter: '/', MaxKeys: 5 }));
    expect(s3.decisions.at(-1)).toMatchObject({
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${BUCKET}`,
      context: { 's3:prefix': prefix(), 's3:delimiter': '/', 's3:max-keys': '5' },
    });
    await expectServiceError(s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: s3.bob.prefix })), 'AccessDenied', 403);
    await expectServiceError(s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET })), 'AccessDenied', 403);
  });

  test('bad max-keys and encoding-type are InvalidArgument', async () => {
    await expectServiceError(s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), MaxKeys: -1 })), 'InvalidArgument', 400);
    await expectServiceError(s3.alice.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix(), EncodingType: 'base64' as 'url' })), 'InvalidArgument', 400);
  });
});
