import { describe, expect, it } from 'vitest';
import { TokenBucketRateLimiter } from '../../../token-service/http/rate-limiter.ts';

describe('TokenBucketRateLimiter', () => {
  function setup(maxTrackedKeys?: number) {
    let now = 0;
    const limiter = new TokenBucketRateLimiter({ ratePerSecond: 2, burst: 3 }, { clock: () => now, maxTrackedKeys });
    return { limiter, advance: (ms: number) => (now += ms) };
  }

  it('allows a burst, then the steady rate, and says when to retry', () => {
    const { limiter, advance } = setup();
    expect([1, 2, 3].map(() => limiter.take('u').allowed)).toEqual([true, true, true]);
    expect(limiter.take('u')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    advance(500);
    expect(limiter.take('u').allowed).toBe(true);
    expect(limiter.take('u').allowed).toBe(false);
    advance(10_000);
    expect([1, 2, 3, 4].map(() => limiter.take('u').allowed)).toEqual([true, true, true, false]);
  });

  it('keeps users apart', () => {
    const { limiter } = setup();
    for (let index = 0; index < 3; index += 1) limiter.take('u');
    expect(limiter.take('u').allowed).toBe(false);
    expect(limiter.take('v').allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const limiter = new TokenBucketRateLimiter({ ratePerSecond: 0.1, burst: 1 }, { clock: () => 0 });
    limiter.take('u');
    expect(limiter.take('u')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('tracks a bounded number of users', () => {
    const { limiter } = setup(2);
    for (let index = 0; index < 3; index += 1) limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    // 'a' was forgotten, so it starts with a full bucket again.
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new TokenBucketRateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow();
    expect(() => new TokenBucketRateLimiter({ ratePerSecond: 1, burst: 0 })).toThrow();
  });
});
