import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCliSession, savedCredentials, sessionTokenFingerprint, withCredentials, writeCliSession } from '../../../app/cli/cli-session.ts';

describe("the CLI's remembered session", () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'cli-session-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it("keeps a user's session token or a guest's identity id, in a user-only file", async () => {
    await writeCliSession(home, { kind: 'guest', guestIdentityId: 'us-east-1:guest', signedInAt: '2025-03-01T10:00:00.000Z' });
    expect(await readCliSession(home)).toEqual({ kind: 'guest', guestIdentityId: 'us-east-1:guest', signedInAt: '2025-03-01T10:00:00.000Z' });
    expect((await stat(join(home, 'session.json'))).mode & 0o777).toBe(0o600);
    await writeCliSession(home, { kind: 'user', sessionToken: 'token', user: 'ann', signedInAt: '2025-03-01T11:00:00.000Z' });
    expect(await readCliSession(home)).toEqual({ kind: 'user', sessionToken: 'token', user: 'ann', signedInAt: '2025-03-01T11:00:00.000Z' });
    expect(JSON.parse(await readFile(join(home, 'session.json'), 'utf8'))).not.toHaveProperty('guestIdentityId');
  });

  it('reads a session written before guests existed (no kind) as a user session', async () => {
    await writeFile(join(home, 'session.json'), JSON.stringify({ sessionToken: 'old-token', user: 'ann', signedInAt: 'then' }));
    expect(await readCliSession(home)).toEqual({ kind: 'user', sessionToken: 'old-token', user: 'ann', signedInAt: 'then' });
  });

  it('no file, or one without a token or guest identity, is no session', async () => {
    expect(await readCliSession(home)).toBeUndefined();
    await writeFile(join(home, 'session.json'), JSON.stringify({ kind: 'guest', signedInAt: 'then' }));
    expect(await readCliSession(home)).toBeUndefined();
    await writeFile(join(home, 'session.json'), JSON.stringify({ sessionToken: 42 }));
    expect(await readCliSession(home)).toBeUndefined();
  });

  it('keeps the session\'s credentials and token with their dates, and an abandoned guest identity; malformed credentials are none', async () => {
    const credentials = {
      credentials: { identityId: 'us-east-1:user', accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session', expiration: new Date('2025-03-01T12:00:00.000Z') },
      issuedAt: new Date('2025-03-01T11:00:00.000Z'),
      token: { identityId: 'us-east-1:user', token: 'openid', expiresAt: new Date('2025-03-01T11:10:00.000Z'), principalTags: { tenant: 'acme' } },
    };
    const session = { kind: 'user' as const, sessionToken: 'token', user: 'ann', signedInAt: 'now', abandonedGuestIdentityId: 'us-east-1:guest', credentials, credentialsFor: sessionTokenFingerprint('token') };
    await writeCliSession(home, session);
    expect(await readCliSession(home)).toEqual(session);
    expect((await stat(join(home, 'session.json'))).mode & 0o777).toBe(0o600);
    for (const broken of [{ ...credentials, issuedAt: 'never' }, { ...credentials, credentials: { ...credentials.credentials, secretAccessKey: 7 } }, { ...credentials, token: { ...credentials.token, principalTags: { tenant: 1 } } }]) {
      await writeFile(join(home, 'session.json'), JSON.stringify({ ...session, credentials: broken }));
      const { credentials: _ignored, credentialsFor: _alsoIgnored, ...withoutCredentials } = session;
      expect(await readCliSession(home)).toEqual(withoutCredentials);
    }
  });

  it('uses saved credentials only for the session token they were issued for', async () => {
    const credentials = {
      credentials: { identityId: 'us-east-1:user', accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session', expiration: new Date('2025-03-01T12:00:00.000Z') },
      issuedAt: new Date('2025-03-01T11:00:00.000Z'),
      token: { identityId: 'us-east-1:user', token: 'openid', expiresAt: new Date('2025-03-01T11:10:00.000Z'), principalTags: {} },
    };
    const saved = withCredentials({ kind: 'user', sessionToken: 'token', signedInAt: 'now' }, credentials);
    if (saved.kind !== 'user') throw new Error('expected a user session');
    expect(savedCredentials(saved)).toEqual(credentials);
    expect(JSON.stringify(saved)).not.toContain('"credentialsFor":"token"');
    expect(savedCredentials({ ...saved, sessionToken: 'another token' })).toBeUndefined();
    expect(savedCredentials({ ...saved, credentialsFor: undefined })).toBeUndefined();
  });
});
