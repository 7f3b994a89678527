import { LeastRecentlyUsedMap } from '../tokens/least-recently-used-map.ts';
import type { AuthenticatedSession, Authenticator } from './authenticator.ts';

interface VerifiedSessionCacheOptions {
  /** How long a verified session token is trusted without verifying it again. 0 turns the cache off. */
  ttlMs: number;
  /** Least recently used entries are dropped beyond this many. */
  maxEntries: number;
  clock?: () => number;
}

/**
 * Remembers session tokens that verified, keyed by the exact token text, so a client asking again
 * with the same session does not pay for another signature check (RS256 verification was the
 * largest cost of a cache hit). An entry never outlives the token's own `exp`, and lives at most
 * `ttlMs`, which bounds how long a key removed from the issuer's key set keeps working. Failures
 * are never remembered.
 */
export function withVerifiedSessionCache(authenticator: Authenticator, options: VerifiedSessionCacheOptions): Authenticator {
  if (options.ttlMs <= 0) return authenticator;
  const clock = options.clock ?? Date.now;
  const entries = new LeastRecentlyUsedMap<string, { session: AuthenticatedSession; validUntil: number }>(options.maxEntries);
  return {
    ...(authenticator.routes && { routes: authenticator.routes }),
    async authenticate(sessionToken) {
      const now = clock();
      const cached = entries.get(sessionToken);
      if (cached) {
        if (cached.validUntil > now) return cached.session;
        entries.delete(sessionToken);
      }
      const session = await authenticator.authenticate(sessionToken);
      const expiresAt = typeof session.claims.exp === 'number' ? session.claims.exp * 1000 : Number.POSITIVE_INFINITY;
      entries.set(sessionToken, { session, validUntil: Math.min(now + options.ttlMs, expiresAt) });
      return session;
    },
  };
}
