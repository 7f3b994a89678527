import type { Hono } from 'hono';
import type { TokenServiceEnv } from '../app-env.ts';
import { MethodNotAllowedError } from '../errors.ts';

/** Answers 405 with `Allow` for every other method on a path; register after the path's real routes. */
export function refuseOtherMethods(app: Hono<TokenServiceEnv>, path: string, allowed: readonly string[]): void {
  app.all(path, (c) => {
    throw new MethodNotAllowedError(`${c.req.method} is not supported here; use ${allowed.join(' or ')}.`, allowed);
  });
}
