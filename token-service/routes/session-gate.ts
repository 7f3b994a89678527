import type { Context } from 'hono';
import type { AuthenticatedSession, Authenticator } from '../authenticators/authenticator.ts';
import type { TokenBucketRateLimiter } from '../http/rate-limiter.ts';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { RateLimitedError, UnauthenticatedError } from '../http/token-service-errors.ts';

/** Far above any real JWT; longer headers are not worth verifying. */
const MAX_BEARER_TOKEN_LENGTH = 8192;
const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

export type SessionGate = (c: Context<TokenServiceEnv>) => Promise<AuthenticatedSession>;

/** Authenticates the caller's app session and spends one of the user's rate-limit tokens. */
export function sessionGate(authenticator: Authenticator, rateLimiter: TokenBucketRateLimiter): SessionGate {
  return async (c) => {
    const header = c.req.header('authorization');
    if (header === undefined) throw new UnauthenticatedError('Send the app session token as "Authorization: Bearer <token>".');
    const match = header.length <= MAX_BEARER_TOKEN_LENGTH + 16 ? BEARER.exec(header) : null;
    if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
    const session = await authenticator.authenticate(match[1]!);
    c.set('userId', session.userId);
    const decision = rateLimiter.take(session.userId);
    if (!decision.allowed) throw new RateLimitedError('Too many requests for this user; slow down.', decision.retryAfterSeconds);
    return session;
  };
}
