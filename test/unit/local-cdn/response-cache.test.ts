import { describe, expect, it } from 'vitest';
import { ResponseCache } from '../../../infra/local/cdn/model/response-cache.ts';
import type { OriginObject } from '../../../infra/local/cdn/model/origin-objects.ts';

function object(key: string, size: number): OriginObject {
  return {
    key,
    size,
    etag: `"${key}"`,
    lastModified: '2026-01-01T00:00:00.000Z',
    segments: [],
    headers: { contentType: 'application/octet-stream' },
    userMetadata: {},
    encryption: { algorithm: 'AES256' },
    storageClass: 'STANDARD',
  };
}

describe('the edge cache', () => {
  it('keeps an entry for its time to live, with its age in whole seconds', () => {
    let now = 1_000_000;
    const cache = new ResponseCache({ timeToLiveMs: 60_000 }, () => now);
    cache.put('a', object('a', 3), Buffer.from('abc'));
    now += 59_999;
    expect(cache.get('a')?.body.toString()).toBe('abc');
    expect(cache.ageSeconds(cache.get('a')!)).toBe(59);
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('never holds an object above the per-object limit', () => {
    const cache = new ResponseCache({ maxObjectBytes: 4 });
    expect(cache.put('big', object('big', 5), Buffer.alloc(5))).toBeUndefined();
    expect(cache.get('big')).toBeUndefined();
    expect(cache.fits(4)).toBe(true);
  });

  it('evicts the least recently used entries to stay within its total', () => {
    const cache = new ResponseCache({ maxTotalBytes: 10, maxObjectBytes: 10 });
    cache.put('a', object('a', 4), Buffer.alloc(4));
    cache.put('b', object('b', 4), Buffer.alloc(4));
    cache.get('a');
    cache.put('c', object('c', 4), Buffer.alloc(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size.bytes).toBe(8);
  });

  it('replacing an entry does not count its old bytes twice', () => {
    const cache = new ResponseCache({ maxTotalBytes: 10, maxObjectBytes: 10 });
    cache.put('a', object('a', 6), Buffer.alloc(6));
    cache.put('a', object('a', 6), Buffer.alloc(6));
    expect(cache.size).toEqual({ entries: 1, bytes: 6 });
  });
});
