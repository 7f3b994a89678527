import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listObjects, positionAfterMarker, type ListObjectsPage, type ListObjectsQuery } from '../../../infra/local/s3/model/list-objects.ts';
import { openLocalDatabase, type LocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { ObjectIndex } from '../../../infra/local/s3/model/object-index.ts';
import { createS3Tables } from '../../../infra/local/s3/model/s3-tables.ts';
import type { ObjectRecord } from '../../../infra/local/s3/model/object-record.ts';

function objectRecord(key: string): ObjectRecord {
  return {
    key,
    size: key.length,
    etag: '"d41d8cd98f00b204e9800998ecf8427e"',
    lastModified: '2026-01-01T00:00:00.000Z',
    segments: [],
    headers: { contentType: 'application/octet-stream' },
    userMetadata: {},
    encryption: { algorithm: 'AES256' },
    storageClass: 'STANDARD',
  };
}

/** Keys, then common prefixes, of a page: what a ListObjects answer lists. */
function listed(page: ListObjectsPage): { keys: string[]; prefixes: string[]; truncated: boolean } {
  return { keys: page.objects.map((object) => object.key), prefixes: page.commonPrefixes, truncated: page.isTruncated };
}

describe('listObjects', () => {
  let directory: string;
  let database: LocalDatabase;
  let index: ObjectIndex;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'list-objects-'));
    database = openLocalDatabase(directory);
    createS3Tables(database);
    index = new ObjectIndex(database, 'list-bucket');
  });
  afterEach(async () => {
    database.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function store(...keys: string[]): Promise<void> {
    for (const key of keys) index.put(objectRecord(key));
  }
  const list = (query: Partial<ListObjectsQuery>) => listed(listObjects(index, { prefix: '', maxKeys: 1000, ...query }));

  it('lists every key in UTF-8 byte order without prefix or delimiter', async () => {
    await store('b', 'a/\u{1F600}', 'a/\uFFFD', 'A', 'a/1');
    expect(list({})).toEqual({ keys: ['A', 'a/1', 'a/\uFFFD', 'a/\u{1F600}', 'b'], prefixes: [], truncated: false });
  });

  it('lists only keys under the prefix (a key equal to the prefix included)', async () => {
    await store('photo', 'photos', 'photos/', 'photos/a.jpg', 'photos/2024/b.jpg', 'photosynthesis.txt', 'videos/c.mp4');
    expect(list({ prefix: 'photos/' }).keys).toEqual(['photos/', 'photos/2024/b.jpg', 'photos/a.jpg']);
    expect(list({ prefix: 'photos' }).keys).toEqual(['photos', 'photos/', 'photos/2024/b.jpg', 'photos/a.jpg', 'photosynthesis.txt']);
    expect(list({ prefix: 'zzz' }).keys).toEqual([]);
  });

  it('rolls keys up into common prefixes at the first delimiter after the prefix', async () => {
    await store('root.txt', 'users/a/1.txt', 'users/a/2.txt', 'users/a/deep/3.txt', 'users/b/1.txt', 'users/top.txt', 'users/');
    expect(list({ delimiter: '/' })).toEqual({ keys: ['root.txt'], prefixes: ['users/'], truncated: false });
    expect(list({ prefix: 'users/', delimiter: '/' })).toEqual({ keys: ['users/', 'users/top.txt'], prefixes: ['users/a/', 'users/b/'], truncated: false });
    expect(list({ prefix: 'users/a/', delimiter: '/' })).toEqual({ keys: ['users/a/1.txt', 'users/a/2.txt'], prefixes: ['users/a/deep/'], truncated: false });
    // A prefix that ends inside a segment: the delimiter search starts after the prefix.
    expect(list({ prefix: 'users/a', delimiter: '/' })).toEqual({ keys: [], prefixes: ['users/a/'], truncated: false });
  });

  it('takes a delimiter of several characters, and an empty delimiter as none', async () => {
    await store('a--b--c', 'a--d', 'a-e');
    expect(list({ delimiter: '--' })).toEqual({ keys: ['a-e'], prefixes: ['a--'], truncated: false });
    expect(list({ prefix: 'a--', delimiter: '--' })).toEqual({ keys: ['a--d'], prefixes: ['a--b--'], truncated: false });
    expect(list({ delimiter: '' }).keys).toEqual(['a--b--c', 'a--d', 'a-e']);
  });

  it('answers max-keys=0 with an empty page that is not truncated', async () => {
    await store('a', 'b');
    const page = listObjects(index, { prefix: '', maxKeys: 0 });
    expect(page).toEqual({ objects: [], commonPrefixes: [], isTruncated: false });
  });

  it('stops at max-keys (1000) counting keys and common prefixes together, truncated only when more follow', async () => {
    const keys = Array.from({ length: 1001 }, (_, number) => `k/${String(number).padStart(4, '0')}`);
    await store(...keys.slice(0, 1000));
    const full = listObjects(index, { prefix: '', maxKeys: 1000 });
    expect(full.objects).toHaveLength(1000);
    expect(full.isTruncated).toBe(false);

    await store(keys[1000]!);
    const page = listObjects(index, { prefix: '', maxKeys: 1000 });
    expect(page.objects).toHaveLength(1000);
    expect(page.isTruncated).toBe(true);
    expect(page.last).toEqual({ value: 'k/0999', isCommonPrefix: false });

    await store('a/1', 'a/2', 'b');
    // In order a/, b, k/: the 1001 keys under k/ count as one entry.
    expect(list({ delimiter: '/', maxKeys: 2 })).toEqual({ keys: ['b'], prefixes: ['a/'], truncated: true });
    expect(list({ delimiter: '/', maxKeys: 3 })).toEqual({ keys: ['b'], prefixes: ['a/', 'k/'], truncated: false });
  });

  it('starts strictly after start-after; one before the prefix starts at the prefix, one past it lists nothing', async () => {
    await store('a', 'p/1', 'p/2', 'p/3', 'q');
    expect(list({ prefix: 'p/', after: 'p/1' }).keys).toEqual(['p/2', 'p/3']);
    expect(list({ prefix: 'p/', after: 'p/15' }).keys).toEqual(['p/2', 'p/3']);
    expect(list({ prefix: 'p/', after: 'a' }).keys).toEqual(['p/1', 'p/2', 'p/3']);
    expect(list({ prefix: 'p/', after: 'p/3' }).keys).toEqual([]);
    expect(list({ prefix: 'p/', after: 'q' }).keys).toEqual([]);
  });

  it('resumes after a common prefix without repeating it or listing the keys under it', async () => {
    await store('d/1', 'd/2', 'e', 'f/1', 'g');
    const first = listObjects(index, { prefix: '', delimiter: '/', maxKeys: 1 });
    expect(first.last).toEqual({ value: 'd/', isCommonPrefix: true });
    expect(list({ delimiter: '/', maxKeys: 1000, after: 'd/', afterIsCommonPrefix: true })).toEqual({ keys: ['e', 'g'], prefixes: ['f/'], truncated: false });
    // Plain start-after "d/" is a position, not a common prefix: keys after it under d/ still roll up.
    expect(list({ delimiter: '/', after: 'd/' })).toEqual({ keys: ['e', 'g'], prefixes: ['d/', 'f/'], truncated: false });
  });

  it('visits every key and common prefix exactly once when paging one entry at a time', async () => {
    const keys = ['x/1', 'x/2', 'x/y/3', 'x/y/4', 'x/z', 'x/z/5', 'x/\u{1F600}/6', 'x/\uFFFD', 'y'];
    await store(...keys);
    const whole = list({ prefix: 'x/', delimiter: '/' });
    const seen: string[] = [];
    let position: Pick<ListObjectsQuery, 'after' | 'afterIsCommonPrefix'> = {};
    for (let pages = 0; pages < 20; pages++) {
      const page = listObjects(index, { prefix: 'x/', delimiter: '/', maxKeys: 1, ...position });
      seen.push(...page.objects.map((object) => object.key), ...page.commonPrefixes);
      if (!page.isTruncated) break;
      position = { after: page.last!.value, afterIsCommonPrefix: page.last!.isCommonPrefix };
    }
    expect(seen.sort()).toEqual([...whole.keys, ...whole.prefixes].sort());
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('positionAfterMarker (ListObjects v1 marker)', () => {
  it('treats a marker that is one of the listing\'s common prefixes as one', () => {
    expect(positionAfterMarker('photos/2024/', 'photos/', '/')).toEqual({ after: 'photos/2024/', afterIsCommonPrefix: true });
  });

  it('treats a key, a marker outside the prefix or any marker without delimiter as a plain position', () => {
    expect(positionAfterMarker('photos/a.jpg', 'photos/', '/')).toEqual({ after: 'photos/a.jpg', afterIsCommonPrefix: false });
    expect(positionAfterMarker('photos/2024/b.jpg', 'photos/', '/')).toEqual({ after: 'photos/2024/b.jpg', afterIsCommonPrefix: false });
    expect(positionAfterMarker('other/2024/', 'photos/', '/')).toEqual({ after: 'other/2024/', afterIsCommonPrefix: false });
    expect(positionAfterMarker('photos/2024/', 'photos/', undefined)).toEqual({ after: 'photos/2024/', afterIsCommonPrefix: false });
  });
});
