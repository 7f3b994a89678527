import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { TokenServiceEnv } from './token-service-env.ts';

/** Receives one JSON line per request. */
export type LogSink = (line: string) => void;

export const stdoutLogSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** The log line of one request. Tokens, Authorization headers and user ids never appear, only a keyed hash of the user id. */
interface RequestLogLine {
  time: string;
  level: 'info' | 'warn' | 'error';
  route: string;
  method: string;
  status: number;
  latencyMs: number;
  userHash?: string;
  code?: string;
  /** Name and message of the underlying failure of a 5xx, for operators. */
  detail?: string;
}

/** Where the request log's user-hash key comes from (see `log-hash-key.ts`). */
export type LogHashKeySource = () => Promise<Uint8Array>;

/** Short and stable under one key; without the key, guessing a user id does not reveal its hash. */
export function userHash(userId: string, key: KeyObject): string {
  return createHmac('sha256', key).update(userId).digest('hex').slice(0, 16);
}

export function requestLog(sink: LogSink, hashKeySource: LogHashKeySource, clock: () => number = Date.now): MiddlewareHandler<TokenServiceEnv> {
  let hashKey: KeyObject | undefined;
  /** Loaded on the first logged user; a key that failed to load leaves that line without a hash and is tried again. */
  async function loadHashKey(): Promise<KeyObject | undefined> {
    try {
      hashKey ??= createSecretKey(await hashKeySource());
    } catch {
      return undefined;
    }
    return hashKey;
  }

  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const userId = c.get('userId');
    const code = c.get('errorCode');
    const detail = c.get('failureDetail');
    const key = userId === undefined ? undefined : (hashKey ?? (await loadHashKey()));
    const line: RequestLogLine = {
      time: new Date(clock()).toISOString(),
      level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      route: routePattern(c),
      method: c.req.method,
      status,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      ...(userId === undefined || key === undefined ? {} : { userHash: userHash(userId, key) }),
      ...(code === undefined ? {} : { code }),
      ...(detail === undefined ? {} : { detail }),
    };
    try {
      sink(JSON.stringify(line));
    } catch {
      // A failing log sink must not turn an answered request into an error.
    }
  };
}

/** The route pattern that answered (`/v1/admin/identities/:appUserId`), never the raw path, which may carry a user id. */
function routePattern(c: Parameters<MiddlewareHandler<TokenServiceEnv>>[0]): string {
  const routes = matchedRoutes(c).filter((route) => route.path !== '/*' && route.path !== '*');
  return routes.at(-1)?.path ?? 'unmatched';
}
