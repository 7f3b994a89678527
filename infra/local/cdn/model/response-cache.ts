import type { OriginObject } from './origin-objects.ts';

/** A cached object: its bytes and headers as the origin gave them, and when. */
export interface CachedObject {
  object: OriginObject;
  body: Buffer;
  storedAtMs: number;
}

export interface ResponseCacheLimits {
  /** @default 64 MiB */
  maxTotalBytes: number;
  /** Larger objects are never cached. @default 1 MiB */
  maxObjectBytes: number;
  /** @default 60 s */
  timeToLiveMs: number;
}

const DEFAULT_LIMITS: ResponseCacheLimits = { maxTotalBytes: 64 * 1024 * 1024, maxObjectBytes: 1024 * 1024, timeToLiveMs: 60_000 };

/**
 * The edge cache: object bodies by key (CachingOptimized keys on the path only), least recently
 * used first out, each living a fixed time. It holds bytes, never decisions: the signature is
 * checked before the cache is asked.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedObject>();
  private totalBytes = 0;
  readonly limits: ResponseCacheLimits;

  constructor(
    limits: Partial<ResponseCacheLimits> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get(key: string): CachedObject | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock() - entry.storedAtMs >= this.limits.timeToLiveMs) {
      this.remove(key, entry);
      return undefined;
    }
    // Map order is insertion order: moving the entry to the end makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  fits(size: number): boolean {
    return size <= this.limits.maxObjectBytes && size <= this.limits.maxTotalBytes;
  }

  put(key: string, object: OriginObject, body: Buffer): CachedObject | undefined {
    if (!this.fits(body.length)) return undefined;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    for (const [oldestKey, oldest] of this.entries) {
      if (this.totalBytes + body.length <= this.limits.maxTotalBytes) break;
      this.remove(oldestKey, oldest);
    }
    const entry = { object, body, storedAtMs: this.clock() };
    this.entries.set(key, entry);
    this.totalBytes += body.length;
    return entry;
  }

  /** Whole seconds since the entry was stored (the `Age` header). */
  ageSeconds(entry: CachedObject): number {
    return Math.max(0, Math.floor((this.clock() - entry.storedAtMs) / 1000));
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.totalBytes };
  }

  private remove(key: string, entry: CachedObject): void {
    this.entries.delete(key);
    this.totalBytes -= entry.body.length;
  }
}
