import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runInTransaction } from '../../../infra/local/persistence/local-database.ts';
import { compareKeys } from '../../../infra/local/s3/model/key-order.ts';
import { listObjects as listObjectsOf, positionAfterMarker, type ListObjectsQuery } from '../../../infra/local/s3/model/list-objects.ts';
import { ObjectIndex, SCAN_OBJECTS_SQL } from '../../../infra/local/s3/model/object-index.ts';
import type { ObjectRecord } from '../../../infra/local/s3/model/object-record.ts';
import { ATTRIBUTES, BUCKET, openStoreFixture, type StoreFixture } from './s3-database-fixture.ts';

function recordOf(key: string): ObjectRecord {
  return { key, size: 0, etag: '"d41d8cd98f00b204e9800998ecf8427e"', lastModified: '2026-01-01T00:00:00.000Z', segments: [], ...ATTRIBUTES };
}

/** Stores records directly through the bucket's index, in one transaction (no bytes are needed to list). */
function seed(fixture: StoreFixture, keys: Iterable<string>, bucket = BUCKET): void {
  const index = new ObjectIndex(fixture.database, bucket);
  runInTransaction(fixture.database, () => {
    for (const key of keys) index.put(recordOf(key));
  });
}

/** S3's listing, computed naively over every key sorted by compareKeys: what the range scans must match. */
function referenceListing(keys: readonly string[], query: ListObjectsQuery): { keys: string[]; prefixes: string[]; truncated: boolean } {
  const result = { keys: [] as string[], prefixes: [] as string[], truncated: false };
  if (query.maxKeys === 0) return result;
  let lastPrefix = query.afterIsCommonPrefix ? query.after : undefined;
  for (const key of [...new Set(keys)].sort(compareKeys)) {
    if (!key.startsWith(query.prefix)) continue;
    if (query.after !== undefined && compareKeys(key, query.after) <= 0) continue;
    const position = query.delimiter ? key.indexOf(query.delimiter, query.prefix.length) : -1;
    const commonPrefix = position < 0 ? undefined : key.slice(0, position + (query.delimiter as string).length);
    if (commonPrefix !== undefined && commonPrefix === lastPrefix) continue;
    if (result.keys.length + result.prefixes.length === query.maxKeys) {
      result.truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      lastPrefix = commonPrefix;
      result.prefixes.push(commonPrefix);
    } else result.keys.push(key);
  }
  return result;
}

function listed(fixture: StoreFixture, query: ListObjectsQuery) {
  const page = fixture.bucket().list(query);
  return { keys: page.objects.map((object) => object.key), prefixes: page.commonPrefixes, truncated: page.isTruncated };
}

/** Every page of a listing, each resuming after the previous page's last entry as ListObjects (v1 marker, v2 token) does. */
function allPages(fixture: StoreFixture, query: Omit<ListObjectsQuery, 'after' | 'afterIsCommonPrefix'>): string[] {
  const entries: string[] = [];
  let position: Pick<ListObjectsQuery, 'after' | 'afterIsCommonPrefix'> = {};
  for (let pages = 0; pages < 1000; pages++) {
    const page = fixture.bucket().list({ ...query, ...position });
    entries.push(...page.objects.map((object) => object.key), ...page.commonPrefixes.map((prefix) => `prefix:${prefix}`));
    if (!page.isTruncated) return entries;
    position = { after: page.last!.value, afterIsCommonPrefix: page.last!.isCommonPrefix };
  }
  throw new Error('the listing never ended');
}

/** Keys and `prefix:`-marked common prefixes in listing order (a page lists both kinds apart). */
const byEntry = (left: string, right: string) => compareKeys(left.replace(/^prefix:/, ''), right.replace(/^prefix:/, ''));

const TRICKY_KEYS = [
  'abc',
  'abcd',
  'abc/',
  'abc/d',
  'abc/d/e',
  'abc/e',
  'abc\u0000',
  'abc\u0000/x',
  'abc.',
  'ab',
  '',
  'a\u007f',
  'a\u0080',
  'a\u00e9',
  'a\u07ff',
  'a\u0800',
  'a\ud7ff',
  'a\ue000',
  'a\uffef',
  'a\uffff',
  'a\u{10000}',
  'a\u{1f600}',
  'a\u{1f600}/x',
  'a\u{10ffff}',
  'a\ufffd',
  'photos/2026/01/a.jpg',
  'photos/2026/01/b.jpg',
  'photos/2026/02/c.jpg',
  'photos/2026.txt',
  'photos//double',
  'photos/\u{1f600}/smile.png',
  'photos/\ue000/private-use.png',
].filter((key) => key !== '');

describe('listing from the database matches S3 order (UTF-8 bytes) and S3 paging', () => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openStoreFixture();
    seed(fixture, TRICKY_KEYS);
    // Another bucket's keys share the table and must never show up.
    seed(fixture, ['abc', 'abc/other-bucket', 'photos/other'], 'other-bucket');
  });
  afterAll(() => fixture.close());

  test('all keys come back in compareKeys order: multi-byte, astral (surrogate pairs) after U+E000..U+FFFF, NUL bytes', () => {
    expect(listed(fixture, { prefix: '', maxKeys: 1000 }).keys).toEqual([...TRICKY_KEYS].sort(compareKeys));
    expect(listed(fixture, { prefix: 'a', maxKeys: 1000 }).keys.filter((key) => /^a[^b]/u.test(key))).toEqual([
      'a\u007f',
      'a\u0080',
      'a\u00e9',
      'a\u07ff',
      'a\u0800',
      'a\ud7ff',
      'a\ue000',
      'a\uffef',
      'a\ufffd',
      'a\uffff',
      'a\u{10000}',
      'a\u{1f600}',
      'a\u{1f600}/x',
      'a\u{10ffff}',
    ]);
  });

  test('prefix confusion: prefix abc lists abc, abcd, abc., abc\\0...; prefix abc/ lists only under abc/', () => {
    expect(listed(fixture, { prefix: 'abc', maxKeys: 1000 }).keys).toEqual(['abc', 'abc\u0000', 'abc\u0000/x', 'abc.', 'abc/', 'abc/d', 'abc/d/e', 'abc/e', 'abcd']);
    expect(listed(fixture, { prefix: 'abc/', maxKeys: 1000 }).keys).toEqual(['abc/', 'abc/d', 'abc/d/e', 'abc/e']);
    expect(listed(fixture, { prefix: 'abcd', maxKeys: 1000 }).keys).toEqual(['abcd']);
    expect(listed(fixture, { prefix: 'abce', maxKeys: 1000 }).keys).toEqual([]);
  });

  test('the delimiter rolls keys up into common prefixes, in order with the keys, multi-byte delimiters too', () => {
    expect(listed(fixture, { prefix: 'photos/', delimiter: '/', maxKeys: 1000 })).toEqual({
      keys: ['photos/2026.txt'],
      prefixes: ['photos//', 'photos/2026/', 'photos/\ue000/', 'photos/\u{1f600}/'],
      truncated: false,
    });
    expect(listed(fixture, { prefix: 'abc', delimiter: '/', maxKeys: 1000 })).toEqual({ keys: ['abc', 'abc\u0000', 'abc.', 'abcd'], prefixes: ['abc\u0000/', 'abc/'], truncated: false });
    expect(listed(fixture, { prefix: 'a', delimiter: '\u{1f600}', maxKeys: 1000 }).prefixes).toEqual(['a\u{1f600}']);
  });

  test('start-after inside the prefix resumes after it; before the prefix starts at the prefix; past it lists nothing', () => {
    expect(listed(fixture, { prefix: 'abc/', maxKeys: 1000, after: 'abc/d' }).keys).toEqual(['abc/d/e', 'abc/e']);
    expect(listed(fixture, { prefix: 'abc/', maxKeys: 1000, after: 'abc/d/' }).keys).toEqual(['abc/d/e', 'abc/e']);
    expect(listed(fixture, { prefix: 'abc/', maxKeys: 1000, after: 'a' }).keys).toEqual(['abc/', 'abc/d', 'abc/d/e', 'abc/e']);
    expect(listed(fixture, { prefix: 'abc/', maxKeys: 1000, after: 'abd' }).keys).toEqual([]);
    expect(listed(fixture, { prefix: 'photos/', delimiter: '/', maxKeys: 1000, ...positionAfterMarker('photos/2026/', 'photos/', '/') })).toEqual({
      keys: [],
      prefixes: ['photos/\ue000/', 'photos/\u{1f600}/'],
      truncated: false,
    });
  });

  test('max-keys pages through everything once, keys and common prefixes alike, for every page size', () => {
    for (const maxKeys of [1, 2, 3, 7]) {
      for (const query of [
        { prefix: '', maxKeys },
        { prefix: '', delimiter: '/', maxKeys },
        { prefix: 'photos/', delimiter: '/', maxKeys },
        { prefix: 'a', delimiter: '/', maxKeys },
      ]) {
        const reference = referenceListing(TRICKY_KEYS, { ...query, maxKeys: 1000 });
        expect(allPages(fixture, query).sort(byEntry)).toEqual([...reference.keys, ...reference.prefixes.map((prefix) => `prefix:${prefix}`)].sort(byEntry));
      }
    }
    expect(listed(fixture, { prefix: '', maxKeys: 0 })).toEqual({ keys: [], prefixes: [], truncated: false });
  });

  test('any keys, prefix, delimiter, start-after and page size: the same page as the naive listing', () => {
    let runs = 0;
    const character = fc.constantFrom('a', 'b', '/', '\u0000', '\u00e9', '\ue000', '\uffff', '\u{1f600}', '\u{10000}', '.');
    const text = (maxLength: number) => fc.array(character, { maxLength }).map((characters) => characters.join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(text(5).filter((key) => key.length > 0), { maxLength: 25 }),
        text(2),
        fc.option(fc.constantFrom('/', '\u{1f600}', 'a/', '\ue000'), { nil: undefined }),
        fc.option(text(4), { nil: undefined }),
        fc.integer({ min: 1, max: 6 }),
        (keys, prefix, delimiter, after, maxKeys) => {
          const bucket = `fuzz-${(runs += 1)}`;
          seed(fixture, keys, bucket);
          const index = new ObjectIndex(fixture.database, bucket);
          const query: ListObjectsQuery = { prefix, maxKeys, ...(delimiter !== undefined && { delimiter }), ...(after !== undefined && positionAfterMarker(after, prefix, delimiter)) };
          const page = listPage(index, query);
          expect(page).toEqual(referenceListing(keys, query));
        },
      ),
      { numRuns: 300 },
    );
  });
});

function listPage(index: ObjectIndex, query: ListObjectsQuery) {
  const page = listObjectsOf(index, query);
  return { keys: page.objects.map((object) => object.key), prefixes: page.commonPrefixes, truncated: page.isTruncated };
}

describe('a listing reads only its range of the index', () => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openStoreFixture();
    const keys: string[] = [];
    for (let user = 0; user < 100; user++) for (let file = 0; file < 100; file++) keys.push(`users/${String(user).padStart(3, '0')}/file-${String(file).padStart(3, '0')}.txt`);
    seed(fixture, keys);
  });
  afterAll(() => fixture.close());

  test('the scan is a SEARCH on the primary key bounded by (bucket, key range), never a SCAN of the table or a sort', () => {
    const plan = (fixture.database.prepare(`EXPLAIN QUERY PLAN ${SCAN_OBJECTS_SQL}`).all(BUCKET, Buffer.from('users/042/'), Buffer.from('users/0420')) as Array<{ detail: string }>).map((row) => row.detail);
    expect(plan).toEqual(['SEARCH s3_objects USING PRIMARY KEY (bucket=? AND key>? AND key<?)']);
  });

  test('10,000 objects: one prefix, a page in the middle, and a delimiter roll-up over all users list exactly what S3 would', () => {
    const one = listed(fixture, { prefix: 'users/042/', maxKeys: 1000 });
    expect(one.keys).toHaveLength(100);
    expect(one.keys.every((key) => key.startsWith('users/042/'))).toBe(true);
    expect(listed(fixture, { prefix: 'users/042/', maxKeys: 2, after: 'users/042/file-050.txt' })).toEqual({
      keys: ['users/042/file-051.txt', 'users/042/file-052.txt'],
      prefixes: [],
      truncated: true,
    });
    const rolledUp = listed(fixture, { prefix: 'users/', delimiter: '/', maxKeys: 1000 });
    expect(rolledUp.prefixes).toHaveLength(100);
    expect(rolledUp.keys).toEqual([]);
    expect(listed(fixture, { prefix: 'users/04', delimiter: '/', maxKeys: 3, ...positionAfterMarker('users/041/', 'users/04', '/') })).toEqual({
      keys: [],
      prefixes: ['users/042/', 'users/043/', 'users/044/'],
      truncated: true,
    });
  });
});
