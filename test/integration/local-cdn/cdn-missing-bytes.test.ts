import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_DATABASE_FILE } from '../../../infra/local/persistence/local-database.ts';
import { OBJECT_BYTES_DIRECTORY } from '../../../infra/local/s3/model/blob-directory.ts';
import type { ObjectRecord } from '../../../infra/local/s3/model/object-record.ts';
import { startLocalCdnFixture, type LocalCdnFixture } from './local-cdn-fixture.ts';

let fixture: LocalCdnFixture;

beforeAll(async () => {
  fixture = await startLocalCdnFixture();
});

afterAll(async () => {
  await fixture?.close();
});

/** Removes the blob file behind a stored object (its only segment), as a lost disk would; returns its id. */
function removeBytesOf(key: string): Promise<string> {
  const { dataDirectory, bucket } = fixture.composed;
  const database = new DatabaseSync(join(dataDirectory, LOCAL_DATABASE_FILE), { readOnly: true });
  let blobId: string;
  try {
    const row = database.prepare('SELECT record FROM s3_objects WHERE bucket = ? AND key = ?').get(bucket, Buffer.from(key, 'utf8')) as { record: string };
    blobId = (JSON.parse(row.record) as ObjectRecord).segments[0]!.blobId;
  } finally {
    database.close();
  }
  return unlink(join(dataDirectory, 's3', bucket, OBJECT_BYTES_DIRECTORY, blobId)).then(() => blobId);
}

describe('an origin object whose blob file is missing', () => {
  it('is a 500 with one log line naming the key and blob, for a cached size and a streamed one; the CDN goes on serving', async () => {
    const logged = vi.spyOn(console, 'error');
    try {
      const small = `public/${fixture.alice.identityId}/lost-small.txt`;
      const large = `public/${fixture.alice.identityId}/lost-large.bin`;
      const kept = `public/${fixture.alice.identityId}/kept.txt`;
      await fixture.put(fixture.alice, small, 'small and lost');
      await fixture.put(fixture.alice, large, randomBytes(3 * 1024 * 1024));
      await fixture.put(fixture.alice, kept, 'still here');

      for (const key of [small, large]) {
        const blobId = await removeBytesOf(key);
        const before = logged.mock.calls.length;
        const answer = await fetch(`${fixture.cdnUrl}/${key}`);
        expect(answer.status).toBe(500);
        expect(answer.headers.get('x-cache')).toBe('Error from cloudfront');
        expect(await answer.text()).toBe('');
        const lines = logged.mock.calls.slice(before).map((call) => format(...(call as [unknown, ...unknown[]])));
        expect(lines).toHaveLength(1);
        expect(lines[0]).not.toContain('\n');
        expect(lines[0]).toContain(JSON.stringify(key));
        expect(lines[0]).toContain(blobId);
        // HEAD needs no bytes: it still answers from the record.
        const head = await fetch(`${fixture.cdnUrl}/${key}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
      }

      const next = await fetch(`${fixture.cdnUrl}/${kept}`);
      expect(next.status).toBe(200);
      expect(await next.text()).toBe('still here');
    } finally {
      logged.mockRestore();
    }
  });
});
