import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectIndex } from '../../../infra/local/s3/model/object-index.ts';
import type { ObjectRecord } from '../../../infra/local/s3/model/object-record.ts';

function objectRecord(key: string, size = 1): ObjectRecord {
  return {
    key,
    size,
    etag: `"${createHash('md5').update(key).digest('hex')}"`,
    lastModified: '2026-01-01T00:00:00.000Z',
    segments: [{ blobId: `blob-${size}`, size }],
    headers: { contentType: 'text/plain' },
    userMetadata: { owner: 'test' },
    encryption: { algorithm: 'AES256' },
    storageClass: 'STANDARD',
  };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('ObjectIndex', () => {
  let bucketDirectory: string;
  const objectsDirectory = () => join(bucketDirectory, 'objects');

  beforeEach(async () => {
    bucketDirectory = await mkdtemp(join(tmpdir(), 'object-index-'));
  });
  afterEach(() => rm(bucketDirectory, { recursive: true, force: true }));

  it('starts empty in a new bucket directory', async () => {
    const index = await ObjectIndex.load(bucketDirectory);
    expect(index.size).toBe(0);
    expect(index.get('a')).toBeUndefined();
    expect([...index.keysFrom('', true)]).toEqual([]);
  });

  it('stores each record in a file named by the SHA-256 of its key, so no key becomes a path', async () => {
    const index = await ObjectIndex.load(bucketDirectory);
    const keys = ['../../escape', '/absolute', 'users/a/b.txt', 'C:\\windows', '\u{1F600}'];
    for (const key of keys) await index.put(objectRecord(key));
    expect((await readdir(objectsDirectory())).sort()).toEqual(keys.map((key) => `${sha256(key)}.json`).sort());
    expect(JSON.parse(await readFile(join(objectsDirectory(), `${sha256('../../escape')}.json`), 'utf8'))).toEqual(objectRecord('../../escape'));
    expect(await readdir(bucketDirectory)).toEqual(['objects']);
  });

  it('replaces the record of a key put again, and forgets a deleted one on disk and in memory', async () => {
    const index = await ObjectIndex.load(bucketDirectory);
    await index.put(objectRecord('a', 1));
    await index.put(objectRecord('a', 2));
    await index.put(objectRecord('b'));
    expect(index.size).toBe(2);
    expect(index.get('a')?.size).toBe(2);
    await index.delete('a');
    await index.delete('never-stored');
    expect(index.get('a')).toBeUndefined();
    expect([...index.keysFrom('', true)]).toEqual(['b']);
    expect(await readdir(objectsDirectory())).toEqual([`${sha256('b')}.json`]);
  });

  it('lists keys in UTF-8 byte order from a position, inclusively or strictly after it', async () => {
    const index = await ObjectIndex.load(bucketDirectory);
    for (const key of ['b', '\u{1F600}', 'a', '\uFFFD']) await index.put(objectRecord(key));
    expect([...index.keysFrom('', true)]).toEqual(['a', 'b', '\uFFFD', '\u{1F600}']);
    expect([...index.keysFrom('b', true)]).toEqual(['b', '\uFFFD', '\u{1F600}']);
    expect([...index.keysFrom('b', false)]).toEqual(['\uFFFD', '\u{1F600}']);
    expect([...index.allRecords()].map((record) => record.key).sort()).toEqual(['a', 'b', '\u{1F600}', '\uFFFD'].sort());
  });

  it('loads what an earlier index stored, in order, after a restart', async () => {
    const first = await ObjectIndex.load(bucketDirectory);
    for (const key of ['z', 'm', 'a']) await first.put(objectRecord(key, key.charCodeAt(0)));
    await first.delete('m');
    const reloaded = await ObjectIndex.load(bucketDirectory);
    expect(reloaded.size).toBe(2);
    expect([...reloaded.keysFrom('', true)]).toEqual(['a', 'z']);
    expect(reloaded.get('z')).toEqual(objectRecord('z', 'z'.charCodeAt(0)));
  });

  it('removes temporaries of interrupted atomic writes on load and ignores files that are not records', async () => {
    const first = await ObjectIndex.load(bucketDirectory);
    await first.put(objectRecord('kept'));
    const temporary = `.${sha256('half-written')}.json.0123456789ab.tmp`;
    await writeFile(join(objectsDirectory(), temporary), '{"key": "half');
    await writeFile(join(objectsDirectory(), 'notes.txt'), 'not a record');
    const reloaded = await ObjectIndex.load(bucketDirectory);
    expect([...reloaded.keysFrom('', true)]).toEqual(['kept']);
    expect((await readdir(objectsDirectory())).sort()).toEqual([`${sha256('kept')}.json`, 'notes.txt'].sort());
  });
});
