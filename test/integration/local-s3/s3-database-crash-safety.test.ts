import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runInTransaction } from '../../../infra/local/persistence/local-database.ts';
import { keyBytes } from '../../../infra/local/s3/model/key-bytes.ts';
import { ObjectStore } from '../../../infra/local/s3/model/object-store.ts';
import { EntityTooLarge, InvalidArgument, PreconditionFailed } from '../../../infra/local/s3/s3-errors.ts';
import { ATTRIBUTES, BUCKET, looseBlobIds, openStoreFixture, putText, readText, type StoreFixture } from './s3-database-fixture.ts';
import { unreferencedBlobs } from './unreferenced-blobs.ts';

let fixture: StoreFixture;

beforeEach(async () => {
  fixture = await openStoreFixture();
});
afterEach(() => fixture.close());

describe('the loose-blob scheme: a crash leaves either the old object or the new one, and start-up removes only loose blobs', () => {
  test('a body staged when the process died (loose row, file present) is removed at the next open; objects keep their bytes', async () => {
    const kept = await putText(fixture.bucket(), 'kept.txt', 'committed bytes');
    const staged = await fixture.bucket().stage(Readable.from([Buffer.from('never committed')]), { maxBytes: 1024 });
    expect(looseBlobIds(fixture.database)).toEqual([staged.blobId]);
    expect(existsSync(join(fixture.blobsDirectory, staged.blobId))).toBe(true);

    await fixture.reopen();

    expect(existsSync(join(fixture.blobsDirectory, staged.blobId))).toBe(false);
    expect(looseBlobIds(fixture.database)).toEqual([]);
    expect(await readdir(fixture.blobsDirectory)).toEqual([kept.segments[0]!.blobId]);
    expect(await readText(fixture.bucket(), 'kept.txt')).toBe('committed bytes');
  });

  test('a loose id whose file was never created (crash between the insert and the open) is just forgotten', async () => {
    fixture.database.prepare('INSERT INTO s3_loose_blobs (bucket, blob_id) VALUES (?, ?)').run(BUCKET, randomBytes(16).toString('hex'));
    await fixture.reopen();
    expect(looseBlobIds(fixture.database)).toEqual([]);
  });

  test('a record dropped by a committed delete whose unlink never ran: its freed blob is removed at the next open', async () => {
    const record = await putText(fixture.bucket(), 'deleted.txt', 'old bytes');
    const blobId = record.segments[0]!.blobId;
    // What deleteObject's transaction commits before it unlinks.
    runInTransaction(fixture.database, () => {
      fixture.database.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?').run(BUCKET, keyBytes('deleted.txt'));
      fixture.database.prepare('INSERT INTO s3_loose_blobs (bucket, blob_id) VALUES (?, ?)').run(BUCKET, blobId);
    });
    expect(existsSync(join(fixture.blobsDirectory, blobId))).toBe(true);
    await fixture.reopen();
    expect(existsSync(join(fixture.blobsDirectory, blobId))).toBe(false);
    expect(fixture.bucket().get('deleted.txt')).toBeUndefined();
  });

  test('start-up scans no directory: a blob file nobody listed as loose is left alone (only the migration scans once)', async () => {
    await putText(fixture.bucket(), 'a.txt', 'a');
    const stray = randomBytes(16).toString('hex');
    await writeFile(join(fixture.blobsDirectory, stray), 'stray');
    await fixture.reopen();
    expect(existsSync(join(fixture.blobsDirectory, stray))).toBe(true);
  });

  test('replacing and deleting objects unlinks the freed blobs at once and leaves nothing loose', async () => {
    const first = await putText(fixture.bucket(), 'key', 'first');
    const second = await putText(fixture.bucket(), 'key', 'second');
    expect(existsSync(join(fixture.blobsDirectory, first.segments[0]!.blobId))).toBe(false);
    expect(await readText(fixture.bucket(), 'key')).toBe('second');
    await fixture.bucket().deleteObject('key');
    expect(existsSync(join(fixture.blobsDirectory, second.segments[0]!.blobId))).toBe(false);
    expect(await readdir(fixture.blobsDirectory)).toEqual([]);
    expect(looseBlobIds(fixture.database)).toEqual([]);
  });

  test('a staged body that is discarded, refused by a write condition, or too large leaves no file and no loose id', async () => {
    const bucket = fixture.bucket();
    const discarded = await bucket.stage(Readable.from([Buffer.from('discard me')]), { maxBytes: 1024 });
    await bucket.discard(discarded);
    await putText(bucket, 'exists', 'here');
    const refused = await bucket.stage(Readable.from([Buffer.from('refused')]), { maxBytes: 1024 });
    await expect(bucket.putObject({ key: 'exists', staged: refused, attributes: ATTRIBUTES, conditions: { ifNoneMatch: '*' } })).rejects.toBeInstanceOf(PreconditionFailed);
    await expect(bucket.stage(Readable.from([Buffer.alloc(4096)]), { maxBytes: 1024 })).rejects.toBeInstanceOf(EntityTooLarge);
    const failing = new Readable({ read: () => failing.destroy(new Error('cut')) });
    await expect(bucket.stage(failing, { maxBytes: 1024 })).rejects.toThrow('cut');
    expect(await unreferencedBlobs(fixture.dataDirectory)).toEqual([]);
    expect((await readdir(fixture.blobsDirectory)).length).toBe(1);
    expect(await readText(bucket, 'exists')).toBe('here');
  });

  test('discarding a body after its object committed keeps the object (discard only removes what is still loose)', async () => {
    const bucket = fixture.bucket();
    const staged = await bucket.stage(Readable.from([Buffer.from('kept')]), { maxBytes: 1024 });
    await bucket.putObject({ key: 'k', staged, attributes: ATTRIBUTES });
    await bucket.discard(staged);
    expect(await readText(bucket, 'k')).toBe('kept');
  });

  test('a key with a lone surrogate (no UTF-8 form) is refused instead of colliding with U+FFFD', async () => {
    await putText(fixture.bucket(), '\uFFFD', 'replacement character');
    expect(() => fixture.bucket().get('\uD800')).toThrow(InvalidArgument);
    const staged = await fixture.bucket().stage(Readable.from([Buffer.from('x')]), { maxBytes: 10 });
    await expect(fixture.bucket().putObject({ key: 'a\uDC00', staged, attributes: ATTRIBUTES })).rejects.toBeInstanceOf(InvalidArgument);
    expect(await readText(fixture.bucket(), '\uFFFD')).toBe('replacement character');
    expect(await unreferencedBlobs(fixture.dataDirectory)).toEqual([]);
  });
});

describe('the database connection', () => {
  test('a store given a connection leaves it open on close; a store without one opens and closes its own', async () => {
    fixture.store.close();
    expect(fixture.database.isOpen).toBe(true);
    const own = await ObjectStore.open({ dataDirectory: fixture.dataDirectory, bucketNames: [BUCKET], clock: () => new Date() });
    await putText(own.bucket(BUCKET), 'through-its-own-connection', 'visible to the other');
    own.close();
    expect(fixture.bucket().get('through-its-own-connection')?.size).toBe('visible to the other'.length);
  });
});
