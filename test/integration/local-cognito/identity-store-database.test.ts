import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceConflictException, ResourceNotFoundException } from '../../../infra/local/cognito/cognito-errors.ts';
import { IdentityStore } from '../../../infra/local/cognito/model/identity-store.ts';
import { IDENTITY_STATEMENTS } from '../../../infra/local/cognito/model/identity-tables.ts';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';
import { CREDENTIAL_STATEMENTS } from '../../../infra/local/credentials/credential-table.ts';
import { openLocalDatabase, type LocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { DEVELOPER_POOL, GUEST_POOL } from './local-cognito-fixture.ts';

const POOL_ID = DEVELOPER_POOL.identityPoolId;
let dataDirectory: string;
let now: number;
const clock = () => new Date(now);
let closers: (() => void)[];

beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'identity-store-database-'));
  now = Date.parse('2030-01-01T00:00:00Z');
  closers = [];
});
afterEach(async () => {
  for (const close of closers.reverse()) close();
  await rm(dataDirectory, { recursive: true, force: true });
});

async function openIdentities(database?: LocalDatabase): Promise<IdentityStore> {
  const store = await IdentityStore.open({ dataDirectory, identityPools: [DEVELOPER_POOL, GUEST_POOL], clock, database });
  closers.push(() => store.close());
  return store;
}

function openDatabase(): LocalDatabase {
  const database = openLocalDatabase(dataDirectory);
  closers.push(() => database.close());
  return database;
}

describe('identities in the database', () => {
  it('creates 10,000 identities and finds each by its developer user after a reopen', async () => {
    const store = await openIdentities();
    const created = new Map<string, string>();
    for (let index = 0; index < 10_000; index++) {
      const identity = await store.createIdentity(POOL_ID, `user-${index}`);
      created.set(`user-${index}`, identity.identityId);
    }
    store.close();

    const reopened = await openIdentities();
    for (const [user, identityId] of created) {
      const found = reopened.identityOfDeveloperUser(POOL_ID, user);
      expect(found?.identityId).toBe(identityId);
      expect(found?.developerUserIdentifiers).toEqual([user]);
    }
    expect(new Set(created.values()).size).toBe(10_000);
    // The same user id in another pool is another user.
    expect(reopened.identityOfDeveloperUser(GUEST_POOL.identityPoolId, 'user-1')).toBeUndefined();
    expect(reopened.identityOfDeveloperUser(POOL_ID, 'user-10000')).toBeUndefined();
  });

  it('keeps the link rules: one developer user per identity, one identity per developer user', async () => {
    const store = await openIdentities();
    const guest = await store.createIdentity(POOL_ID);
    expect(guest).toMatchObject({ authenticated: false, developerUserIdentifiers: [] });
    const alice = await store.createIdentity(POOL_ID, 'alice');

    now += 1000;
    const linked = await store.linkDeveloperUser(guest, 'bob');
    expect(linked).toMatchObject({ identityId: guest.identityId, authenticated: true, developerUserIdentifiers: ['bob'], lastModifiedDate: '2030-01-01T00:00:01.000Z' });
    expect(await store.linkDeveloperUser(guest, 'bob')).toEqual(linked);
    // The stale copy still says "no users": the store decides on what it holds now.
    await expect(store.linkDeveloperUser(guest, 'mallory')).rejects.toBeInstanceOf(ResourceConflictException);
    await expect(store.linkDeveloperUser(guest, 'alice')).rejects.toBeInstanceOf(ResourceConflictException);
    await expect(store.createIdentity(POOL_ID, 'alice')).rejects.toBeInstanceOf(ResourceConflictException);
    expect(store.identityOfDeveloperUser(POOL_ID, 'alice')?.identityId).toBe(alice.identityId);
    expect(store.identityOfDeveloperUser(POOL_ID, 'mallory')).toBeUndefined();
  });

  it('merges users in order, refuses more than 20 logins, and removes the source identity', async () => {
    const store = await openIdentities();
    const destination = await store.createIdentity(POOL_ID, 'destination');
    const source = await store.createIdentity(POOL_ID, 'source');
    const merged = await store.mergeDeveloperUsers(POOL_ID, 'source', 'destination');
    expect(merged).toMatchObject({ identityId: destination.identityId, developerUserIdentifiers: ['destination', 'source'] });
    expect(store.findIdentity(source.identityId)).toBeUndefined();
    expect(store.identityOfDeveloperUser(POOL_ID, 'source')?.identityId).toBe(destination.identityId);
    expect(await store.mergeDeveloperUsers(POOL_ID, 'source', 'destination')).toEqual(merged);

    const crowd = await store.createIdentity(POOL_ID, 'crowd-0');
    for (let index = 1; index < 19; index++) {
      await store.createIdentity(POOL_ID, `crowd-${index}`);
      await store.mergeDeveloperUsers(POOL_ID, `crowd-${index}`, 'crowd-0');
    }
    expect(store.identity(crowd.identityId).developerUserIdentifiers).toHaveLength(19);
    await expect(store.mergeDeveloperUsers(POOL_ID, 'source', 'crowd-0')).rejects.toThrow(/would have 21 linked logins/);
    expect(store.identity(destination.identityId).developerUserIdentifiers).toEqual(['destination', 'source']);
    await expect(store.mergeDeveloperUsers(POOL_ID, 'nobody', 'crowd-0')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(store.mergeDeveloperUsers(GUEST_POOL.identityPoolId, 'source', 'crowd-0')).rejects.toBeInstanceOf(ResourceNotFoundException);

    store.close();
    const reopened = await openIdentities();
    expect(reopened.identity(destination.identityId).developerUserIdentifiers).toEqual(['destination', 'source']);
    expect(reopened.identity(crowd.identityId).developerUserIdentifiers).toEqual(Array.from({ length: 19 }, (_, index) => `crowd-${index}`));
  });

  it('unlinks only a linked user, and a deleted identity frees its users', async () => {
    const store = await openIdentities();
    const carol = await store.createIdentity(POOL_ID, 'carol');
    await expect(store.unlinkDeveloperUser(carol, 'dave')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await store.unlinkDeveloperUser(carol, 'carol');
    expect(store.identity(carol.identityId)).toMatchObject({ developerUserIdentifiers: [], authenticated: true });
    expect(store.identityOfDeveloperUser(POOL_ID, 'carol')).toBeUndefined();
    // The copy from before the unlink cannot unlink twice.
    await expect(store.unlinkDeveloperUser(carol, 'carol')).rejects.toBeInstanceOf(ResourceNotFoundException);

    const erin = await store.createIdentity(POOL_ID, 'erin');
    await store.deleteIdentities([erin, carol]);
    expect(store.findIdentity(erin.identityId)).toBeUndefined();
    expect(store.findIdentity(carol.identityId)).toBeUndefined();
    expect(store.identityOfDeveloperUser(POOL_ID, 'erin')).toBeUndefined();
    const again = await store.createIdentity(POOL_ID, 'erin');
    expect(again.identityId).not.toBe(erin.identityId);
    await expect(store.linkDeveloperUser(erin, 'frank')).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(store.identityOfDeveloperUser(POOL_ID, 'frank')).toBeUndefined();
  });

  it('serves pools stored by an earlier run and replaces a pool given again', async () => {
    const first = await IdentityStore.open({ dataDirectory, identityPools: [DEVELOPER_POOL, GUEST_POOL], clock });
    first.close();
    const renamed = { ...DEVELOPER_POOL, identityPoolName: 'Renamed' };
    const second = await openIdentities();
    second.close();
    const third = await IdentityStore.open({ dataDirectory, identityPools: [renamed], clock });
    closers.push(() => third.close());
    expect(third.pool(POOL_ID).identityPoolName).toBe('Renamed');
    expect(third.pool(GUEST_POOL.identityPoolId)).toEqual(GUEST_POOL);
    expect(() => third.pool('us-east-1:00000000-0000-4000-8000-000000000000')).toThrow(ResourceNotFoundException);
  });

  it('leaves a shared connection open when closed, and closes its own', async () => {
    const shared = openDatabase();
    const identities = await openIdentities(shared);
    const credentials = await CredentialStore.open({ dataDirectory, clock, database: shared });
    const identity = await identities.createIdentity(POOL_ID, 'shared-user');
    const issued = await credentials.issue({
      roleArn: 'arn:aws:iam::000000000000:role/AuthRole',
      roleId: 'AROAAUTHROLE00000000',
      sessionName: 'CognitoIdentityCredentials',
      lifetimeSeconds: 3600,
      sessionContext: {},
      identityId: identity.identityId,
    });
    identities.close();
    credentials.close();
    expect(shared.isOpen).toBe(true);
    expect(shared.prepare('SELECT identity_id FROM credentials_issued WHERE access_key_id = ?').get(issued.accessKeyId)).toEqual({
      identity_id: identity.identityId,
    });

    const own = await IdentityStore.open({ dataDirectory, identityPools: [DEVELOPER_POOL], clock });
    expect(own.identityOfDeveloperUser(POOL_ID, 'shared-user')?.identityId).toBe(identity.identityId);
    own.close();
    expect(() => own.findIdentity(identity.identityId)).toThrow(/finalized|not open/);
  });
});

describe('query plans', () => {
  /** The plan's steps, e.g. `SEARCH cognito_logins USING INDEX ... (identity_pool_id=? AND developer_user_identifier=?)`. */
  const planOf = (database: LocalDatabase, sql: string) =>
    (database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from(sql.matchAll(/\?/g), () => null)) as { detail: string }[]).map((step) => step.detail);

  it('looks up a developer user and an access key id through an index, and every per-request statement searches', async () => {
    const database = openDatabase();
    await openIdentities(database);
    const credentials = await CredentialStore.open({ dataDirectory, clock, database });
    closers.push(() => credentials.close());
    database.exec('ANALYZE');

    expect(planOf(database, IDENTITY_STATEMENTS.identityOfUser)).toEqual([
      expect.stringMatching(/^SEARCH cognito_logins USING (COVERING )?INDEX \S+ \(identity_pool_id=\? AND developer_user_identifier=\?\)$/),
    ]);
    expect(planOf(database, CREDENTIAL_STATEMENTS.find)).toEqual([expect.stringMatching(/^SEARCH credentials_issued USING INDEX \S+ \(access_key_id=\?\)$/)]);
    expect(planOf(database, CREDENTIAL_STATEMENTS.sweep)).toEqual([
      expect.stringMatching(/^SEARCH credentials_issued USING (COVERING )?INDEX credentials_issued_by_expiry \(expiration_ms<\?\)$/),
    ]);
    expect(planOf(database, CREDENTIAL_STATEMENTS.evictBeyondCap).join('\n')).toMatch(/SEARCH credentials_issued USING (COVERING )?INDEX credentials_issued_by_identity \(identity_id=\?\)/);
    expect(planOf(database, CREDENTIAL_STATEMENTS.findStatic)).toEqual([expect.stringMatching(/^SEARCH credentials_issued USING INDEX credentials_issued_by_static_name \(static_name=\?\)$/)]);
    expect(planOf(database, IDENTITY_STATEMENTS.usersOfIdentity)).toEqual([expect.stringMatching(/^SEARCH cognito_logins USING INDEX cognito_logins_by_identity \(identity_id=\?\)$/)]);
    for (const sql of [...Object.values(IDENTITY_STATEMENTS), ...Object.values(CREDENTIAL_STATEMENTS)]) {
      for (const step of planOf(database, sql)) expect(step, sql).not.toMatch(/^SCAN|TEMP B-TREE/);
    }
  });
});
