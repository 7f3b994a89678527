export interface RateLimit {
  /** Requests per second a user may make in the long run. */
  ratePerSecond: number;
  /** Requests a user may make at once after being idle. */
  burst: number;
}

type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * One token bucket per key (user). Buckets are kept for at most `maxTrackedKeys` keys; the least
 * recently seen are forgotten first, which only ever lets a forgotten user start with a full bucket.
 */
export class TokenBucketRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxTrackedKeys: number;
  private readonly clock: () => number;

  constructor(
    private readonly limit: RateLimit,
    options: { maxTrackedKeys?: number; clock?: () => number } = {},
  ) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) throw new Error('A rate limit needs a positive rate and a burst of at least 1.');
    this.maxTrackedKeys = options.maxTrackedKeys ?? 100_000;
    this.clock = options.clock ?? Date.now;
  }

  take(key: string): RateDecision {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, updatedAt: now };
    this.buckets.delete(key);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.limit.ratePerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    this.forgetOldest();
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.ratePerSecond)) };
  }

  private forgetOldest(): void {
    while (this.buckets.size > this.maxTrackedKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
