import { LeastRecentlyUsedMap } from './least-recently-used-map.ts';

/** What Cognito vends for a user: an OpenID token for the user's identity. */
export interface IssuedToken {
  identityId: string;
  token: string;
  expiresAt: Date;
}

interface TokenCacheOptions {
  /** A cached token is served only while it stays valid for longer than this. */
  refreshMarginMs: number;
  /** Least recently used entries are dropped beyond this many. */
  maxEntries: number;
  clock?: () => number;
}

interface PendingLoad {
  promise: Promise<IssuedToken>;
  /** Set when the user's identity changed while the load ran, so its result must not be kept. */
  discarded: boolean;
}

/**
 * Per-process reuse of still-valid tokens, keyed by (user, principal tags), so Cognito's
 * per-second quotas do not cap the app. Concurrent misses for one key share one load.
 */
export class TokenCache {
  private readonly entries: LeastRecentlyUsedMap<string, { userId: string; token: IssuedToken }>;
  private readonly pending = new Map<string, PendingLoad & { userId: string }>();
  private readonly clock: () => number;

  constructor(private readonly options: TokenCacheOptions) {
    this.clock = options.clock ?? Date.now;
    this.entries = new LeastRecentlyUsedMap(options.maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  async getOrLoad(userId: string, tags: Readonly<Record<string, string>>, load: () => Promise<IssuedToken>): Promise<IssuedToken> {
    const key = cacheKey(userId, tags);
    const cached = this.entries.get(key);
    if (cached) {
      if (cached.token.expiresAt.getTime() - this.clock() > this.options.refreshMarginMs) return cached.token;
      this.entries.delete(key);
    }
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight.promise;

    const pending: PendingLoad & { userId: string } = { userId, discarded: false, promise: load() };
    this.pending.set(key, pending);
    try {
      const token = await pending.promise;
      if (!pending.discarded) this.entries.set(key, { userId, token });
      return token;
    } finally {
      if (this.pending.get(key) === pending) this.pending.delete(key);
    }
  }

  /** Forgets every token of a user (their identity was linked or unlinked). */
  invalidateUser(userId: string): void {
    for (const [key, entry] of this.entries) if (entry.userId === userId) this.entries.delete(key);
    for (const [key, pending] of this.pending) {
      if (pending.userId !== userId) continue;
      pending.discarded = true;
      this.pending.delete(key);
    }
  }
}

function cacheKey(userId: string, tags: Readonly<Record<string, string>>): string {
  const sortedTags = Object.entries(tags).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return JSON.stringify([userId, sortedTags]);
}
