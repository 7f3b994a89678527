import { describe, expect, it } from 'vitest';
import { TokenCache, type IssuedToken } from '../../../token-service/tokens/token-cache.ts';

const MINUTE = 60_000;

function setup(options: { maxEntries?: number } = {}) {
  let now = 1_000_000;
  const cache = new TokenCache({ refreshMarginMs: 5 * MINUTE, maxEntries: options.maxEntries ?? 100, clock: () => now });
  let loads = 0;
  const load = (lifetimeMs = 15 * MINUTE) => async (): Promise<IssuedToken> => {
    loads += 1;
    return { identityId: 'id', token: `token-${loads}`, expiresAt: new Date(now + lifetimeMs) };
  };
  return { cache, load, loads: () => loads, advance: (ms: number) => (now += ms) };
}

describe('TokenCache', () => {
  it('reuses a token while it stays valid for longer than the margin', async () => {
    const { cache, load, loads, advance } = setup();
    expect((await cache.getOrLoad('u', {}, load())).token).toBe('token-1');
    advance(9 * MINUTE);
    expect((await cache.getOrLoad('u', {}, load())).token).toBe('token-1');
    advance(1 * MINUTE + 1);
    expect((await cache.getOrLoad('u', {}, load())).token).toBe('token-2');
    expect(loads()).toBe(2);
  });

  it('never caches tokens that are too short-lived to reuse', async () => {
    const { cache, load, loads } = setup();
    await cache.getOrLoad('u', {}, load(MINUTE));
    await cache.getOrLoad('u', {}, load(MINUTE));
    expect(loads()).toBe(2);
  });

  it('keys by user and principal tags, whatever the tag order', async () => {
    const { cache, load, loads } = setup();
    await cache.getOrLoad('u', { a: '1', b: '2' }, load());
    await cache.getOrLoad('u', { b: '2', a: '1' }, load());
    await cache.getOrLoad('u', { a: '1' }, load());
    await cache.getOrLoad('v', { a: '1', b: '2' }, load());
    expect(loads()).toBe(3);
  });

  it('shares one load between concurrent misses and does not keep failures', async () => {
    const { cache, load, loads } = setup();
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.getOrLoad('u', {}, load())));
    expect(new Set(results.map((result) => result.token))).toEqual(new Set(['token-1']));
    expect(loads()).toBe(1);

    const failing = () => Promise.reject(new Error('throttled'));
    await expect(Promise.all([cache.getOrLoad('w', {}, failing), cache.getOrLoad('w', {}, failing)])).rejects.toThrow('throttled');
    expect((await cache.getOrLoad('w', {}, load())).token).toBe('token-2');
  });

  it('drops the least recently used entries beyond its size', async () => {
    const { cache, load, loads } = setup({ maxEntries: 2 });
    await cache.getOrLoad('a', {}, load());
    await cache.getOrLoad('b', {}, load());
    await cache.getOrLoad('a', {}, load());
    await cache.getOrLoad('c', {}, load());
    expect(cache.size).toBe(2);
    await cache.getOrLoad('a', {}, load());
    expect(loads()).toBe(3);
    await cache.getOrLoad('b', {}, load());
    expect(loads()).toBe(4);
  });

  it("forgets a user's tokens, including one still being loaded", async () => {
    const { cache, load, loads } = setup();
    await cache.getOrLoad('u', { t: '1' }, load());
    await cache.getOrLoad('u', { t: '2' }, load());
    await cache.getOrLoad('other', {}, load());
    let release!: () => void;
    const slow = cache.getOrLoad('u', { t: '3' }, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return load()();
    });
    cache.invalidateUser('u');
    release();
    await slow;
    expect(cache.size).toBe(1);
    await cache.getOrLoad('u', { t: '3' }, load());
    expect(loads()).toBe(5);
  });
});
