import type { Hono } from 'hono';
import type { TokenServiceEnv } from '../app-env.ts';
import { refuseOtherMethods } from './method-not-allowed.ts';

export function mountHealthRoute(app: Hono<TokenServiceEnv>): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  refuseOtherMethods(app, '/healthz', ['GET']);
}
