import type { Hono } from 'hono';
import type { TokenServiceEnv } from '../http/token-service-env.ts';

export function mountHealthRoute(app: Hono<TokenServiceEnv>): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
}
