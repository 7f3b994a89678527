import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from '../../../token-service/authenticators/authenticator.ts';
import { logHashKeySource } from '../../../token-service/http/log-hash-key.ts';
import { requestLog, userHash, type LogHashKeySource } from '../../../token-service/http/request-log.ts';
import type { TokenServiceEnv } from '../../../token-service/http/token-service-env.ts';

const plainSha256Prefix = (userId: string) => createHash('sha256').update(userId).digest('hex').slice(0, 16);

describe('userHash (the only trace of a user id in the request log)', () => {
  const key = createSecretKey(randomBytes(32));

  it('is not the unsalted SHA-256 prefix, which anyone can recompute from a guessed user id', () => {
    for (const userId of ['alice-s', 'auth0|abc', 'bob@example.com']) {
      expect(userHash(userId, key)).toMatch(/^[0-9a-f]{16}$/);
      expect(userHash(userId, key)).not.toBe(plainSha256Prefix(userId));
    }
  });

  it('is stable under one key, so one user is recognisable across log lines', () => {
    expect(userHash('alice-s', key)).toBe(userHash('alice-s', createSecretKey(key.export())));
    expect(userHash('alice-s', key)).not.toBe(userHash('alice-t', key));
  });

  it('differs under another key', () => {
    expect(userHash('alice-s', key)).not.toBe(userHash('alice-s', createSecretKey(randomBytes(32))));
  });
});

describe('the key of the user hashes', () => {
  const refuseAll: Authenticator = { authenticate: () => Promise.reject(new Error('unused')) };
  const withSecret: Authenticator = { ...refuseAll, derivedKey: async (purpose) => new TextEncoder().encode(`derived for ${purpose}`.padEnd(32, '.')) };

  it('is the configured secret first, else derived from the authenticator, else random per process', async () => {
    const configured = await logHashKeySource('a-log-hash-secret-of-32-bytes-or-more', withSecret)();
    expect(await logHashKeySource('a-log-hash-secret-of-32-bytes-or-more', refuseAll)()).toEqual(configured);
    const derived = await logHashKeySource(undefined, withSecret)();
    expect(derived).not.toEqual(configured);
    expect(await logHashKeySource(undefined, withSecret)()).toEqual(derived);
    const perProcess = await logHashKeySource(undefined, refuseAll)();
    expect(perProcess).toHaveLength(32);
    expect(await logHashKeySource(undefined, refuseAll)()).not.toEqual(perProcess);
  });

  it('that fails to load leaves the line without a hash, and is tried again on the next line', async () => {
    const lines: Array<Record<string, unknown>> = [];
    let attempts = 0;
    const flaky: LogHashKeySource = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('secret unavailable');
      return randomBytes(32);
    };
    const app = new Hono<TokenServiceEnv>().use(requestLog((line) => lines.push(JSON.parse(line) as Record<string, unknown>), flaky));
    app.get('/whoami', (c) => {
      c.set('userId', 'alice-s');
      return c.text('ok');
    });
    expect((await app.request('/whoami')).status).toBe(200);
    expect((await app.request('/whoami')).status).toBe(200);
    expect(lines[0]).not.toHaveProperty('userHash');
    expect(lines[1]).toMatchObject({ status: 200, userHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });
});
