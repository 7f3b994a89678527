import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { LOCAL_DATABASE_FILE, openLocalDatabase } from '../../../infra/local/persistence/local-database.ts';

const ROLE = { roleArn: 'arn:aws:iam::000000000000:role/TokenServiceRole', roleId: 'AROATOKENSERVICE0000' };
let dataDirectory: string;
let now: number;
const clock = () => new Date(now);
let opened: CredentialStore[];

beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'credential-store-'));
  now = Date.parse('2030-01-01T00:00:00Z');
  opened = [];
});
afterEach(async () => {
  for (const store of opened) store.close();
  await rm(dataDirectory, { recursive: true, force: true });
});

/** Opens a store over the test's data directory; the test's end closes it. */
async function openStore(options: Omit<Parameters<typeof CredentialStore.open>[0], 'dataDirectory'> = {}): Promise<CredentialStore> {
  const store = await CredentialStore.open({ dataDirectory, ...options });
  opened.push(store);
  return store;
}

/** Access key ids the database holds, read through a connection of the test's own. */
function storedAccessKeys(): string[] {
  const database = openLocalDatabase(dataDirectory);
  try {
    return (database.prepare('SELECT access_key_id FROM credentials_issued ORDER BY issue_order').all() as { access_key_id: string }[]).map((row) => row.access_key_id);
  } finally {
    database.close();
  }
}

describe('CredentialStore', () => {
  it('keeps expired credentials findable for the retention period, then drops them', async () => {
    const store = await openStore({ clock, expiredRetentionSeconds: 60 });
    const issued = await store.issue({ ...ROLE, sessionName: 'session', lifetimeSeconds: 10, sessionContext: {} });
    expect(issued.expiration).toBe('2030-01-01T00:00:10.000Z');
    now += 30_000;
    expect(store.findByAccessKeyId(issued.accessKeyId)).toEqual(issued);
    now += 60_000;
    expect(store.findByAccessKeyId(issued.accessKeyId)).toBeUndefined();
    await store.issue({ ...ROLE, sessionName: 'other', lifetimeSeconds: 10, sessionContext: {} });
    const reopened = await openStore({ clock, expiredRetentionSeconds: 3600 });
    expect(reopened.findByAccessKeyId(issued.accessKeyId)).toBeUndefined();
  });

  it('returns the same static credentials by name until half their lifetime is gone, across restarts', async () => {
    const request = { ...ROLE, name: 'token-service', sessionName: 'local-token-service', lifetimeSeconds: 3600, sessionContext: {} };
    const store = await openStore({ clock });
    const first = await store.issueStatic(request);
    expect(first.sessionArn).toBe('arn:aws:sts::000000000000:assumed-role/TokenServiceRole/local-token-service');
    expect(first.userId).toBe('AROATOKENSERVICE0000:local-token-service');

    now += 1000 * 60 * 20;
    const reopened = await openStore({ clock });
    expect(await reopened.issueStatic(request)).toEqual(first);
    now += 1000 * 60 * 20;
    const renewed = await reopened.issueStatic(request);
    expect(renewed.accessKeyId).not.toBe(first.accessKeyId);
    expect(reopened.findByAccessKeyId(first.accessKeyId)).toEqual(first);
  });

  describe('bounded growth', () => {
    const logPath = () => join(dataDirectory, 'credentials', 'issued.jsonl');
    const exchange = (store: CredentialStore, identityId: string, lifetimeSeconds = 3600) =>
      store.issue({ ...ROLE, identityId, sessionName: 'CognitoIdentityCredentials', lifetimeSeconds, sessionContext: {} });
    const issueMany = async (store: CredentialStore, identityId: string, count: number) => {
      const issued: IssuedCredentials[] = [];
      for (let index = 0; index < count; index++) issued.push(await exchange(store, identityId));
      return issued;
    };
    const held = (store: CredentialStore, issued: IssuedCredentials[]) => issued.filter((credentials) => store.findByAccessKeyId(credentials.accessKeyId) !== undefined);

    it('keeps at most the cap of credential sets per identity, the newest, and no more in the database', async () => {
      const store = await openStore({ clock, maxCredentialsPerIdentity: 20 });
      const [mallory, other] = [await issueMany(store, 'us-east-1:mallory', 200), await issueMany(store, 'us-east-1:other', 3)];
      expect(held(store, mallory)).toEqual(mallory.slice(-20));
      expect(held(store, other)).toEqual(other);
      // Evicted sets leave the database, so what one identity makes it keep is bounded too.
      expect(storedAccessKeys().sort()).toEqual([...mallory.slice(-20), ...other].map((credentials) => credentials.accessKeyId).sort());

      const reopened = await openStore({ clock, maxCredentialsPerIdentity: 20 });
      expect(held(reopened, mallory)).toEqual(mallory.slice(-20));
      expect(held(reopened, other)).toEqual(other);
    });

    it('refuses a cap below one', async () => {
      await expect(openStore({ clock, maxCredentialsPerIdentity: 0 })).rejects.toThrow(/maxCredentialsPerIdentity must be a whole number of at least 1/);
    });

    it('never brings evicted credentials back, even when reopened with a larger cap', async () => {
      const store = await openStore({ clock, maxCredentialsPerIdentity: 2 });
      const issued = await issueMany(store, 'us-east-1:capped', 5);
      expect(held(store, issued)).toEqual(issued.slice(-2));
      const reopened = await openStore({ clock, maxCredentialsPerIdentity: 20 });
      expect(held(reopened, issued)).toEqual(issued.slice(-2));
    });

    it('leaves no credentials past their retention in the database after a restart', async () => {
      const store = await openStore({ clock, expiredRetentionSeconds: 60 });
      const expiring = await exchange(store, 'us-east-1:a', 10);
      const lasting = await exchange(store, 'us-east-1:b', 3600);
      now += 120_000;
      expect(store.findByAccessKeyId(expiring.accessKeyId)).toBeUndefined();
      await exchange(store, 'us-east-1:c');

      const reopened = await openStore({ clock, expiredRetentionSeconds: 60 });
      expect(reopened.findByAccessKeyId(lasting.accessKeyId)).toEqual(lasting);
      expect(storedAccessKeys()).not.toContain(expiring.accessKeyId);
      expect(storedAccessKeys()).toContain(lasting.accessKeyId);
    });

    /** Credentials issued by a store over a scratch directory, to be written into old-format files by hand. */
    const issuedElsewhere = async <Issued extends IssuedCredentials[]>(issue: (store: CredentialStore) => Promise<Issued>): Promise<Issued> => {
      const scratch = await mkdtemp(join(tmpdir(), 'credential-store-scratch-'));
      const store = await CredentialStore.open({ dataDirectory: scratch, clock });
      try {
        return await issue(store);
      } finally {
        store.close();
        await rm(scratch, { recursive: true, force: true });
      }
    };

    it('takes over the whole-state file of earlier versions, static names included, and removes it', async () => {
      const request = { ...ROLE, name: 'token-service', sessionName: 'token-service', lifetimeSeconds: 3600, sessionContext: {} };
      const [service, user] = await issuedElsewhere(async (earlier): Promise<[IssuedCredentials, IssuedCredentials]> => [
        await earlier.issueStatic(request),
        await exchange(earlier, 'us-east-1:upgraded'),
      ]);
      await mkdir(join(dataDirectory, 'credentials'), { recursive: true });
      await writeFile(join(dataDirectory, 'credentials', 'issued.json'), JSON.stringify({ credentials: [service, user], staticNames: { 'token-service': service.accessKeyId } }));

      const upgraded = await openStore({ clock });
      expect(upgraded.findByAccessKeyId(user.accessKeyId)).toEqual(user);
      expect(await upgraded.issueStatic(request)).toEqual(service);
      expect(await readdir(dataDirectory)).not.toContain('credentials');
    });

    it('ignores a torn last line left by a crash mid-write', async () => {
      const [kept] = await issuedElsewhere(async (earlier): Promise<[IssuedCredentials]> => [await exchange(earlier, 'us-east-1:torn')]);
      await mkdir(join(dataDirectory, 'credentials'), { recursive: true });
      await writeFile(logPath(), `${JSON.stringify({ credentials: kept, identityId: 'us-east-1:torn' })}\n{"credentials":{"accessKeyId":"ASIATORN`);
      const reopened = await openStore({ clock });
      expect(reopened.findByAccessKeyId(kept.accessKeyId)).toEqual(kept);
      const next = await exchange(reopened, 'us-east-1:torn');
      const again = await openStore({ clock });
      expect(again.findByAccessKeyId(next.accessKeyId)).toEqual(next);
      expect(storedAccessKeys()).toEqual([kept.accessKeyId, next.accessKeyId]);
      expect(await readdir(dataDirectory)).toEqual(expect.arrayContaining([LOCAL_DATABASE_FILE]));
      expect(await readdir(dataDirectory)).not.toContain('credentials');
    });
  });
});
