import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteIdentitiesCommand,
  GetCredentialsForIdentityCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { openLocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { DEVELOPER_POOL, startLocalCognito } from './local-cognito-fixture.ts';

const ROLE = { roleArn: 'arn:aws:iam::000000000000:role/AuthRole', roleId: 'AROAAUTHROLE00000000' };
let dataDirectory: string;
let now: number;
const clock = () => new Date(now);
let opened: CredentialStore[];

beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'credential-store-database-'));
  now = Date.parse('2030-01-01T00:00:00Z');
  opened = [];
});
afterEach(async () => {
  for (const store of opened) store.close();
  await rm(dataDirectory, { recursive: true, force: true });
});

async function openStore(options: { maxCredentialsPerIdentity?: number; expiredRetentionSeconds?: number } = {}): Promise<CredentialStore> {
  const store = await CredentialStore.open({ dataDirectory, clock, ...options });
  opened.push(store);
  return store;
}

const exchange = (store: CredentialStore, identityId: string, lifetimeSeconds = 3600) =>
  store.issue({ ...ROLE, identityId, sessionName: 'CognitoIdentityCredentials', lifetimeSeconds, sessionContext: {} });

async function issueMany(store: CredentialStore, identityId: string, count: number): Promise<IssuedCredentials[]> {
  const issued: IssuedCredentials[] = [];
  for (let index = 0; index < count; index++) issued.push(await exchange(store, identityId));
  return issued;
}

const held = (store: CredentialStore, issued: IssuedCredentials[]) => issued.filter((credentials) => store.findByAccessKeyId(credentials.accessKeyId) !== undefined);

/** How many sets the database holds for an identity, read through a connection of the test's own. */
function storedCount(identityId: string): number {
  const database = openLocalDatabase(dataDirectory);
  try {
    return (database.prepare('SELECT count(*) AS count FROM credentials_issued WHERE identity_id = ?').get(identityId) as { count: number }).count;
  } finally {
    database.close();
  }
}

describe('credentials in the database', () => {
  it('holds the cap exactly across reopens: each issue after a restart evicts exactly the oldest', async () => {
    const store = await openStore({ maxCredentialsPerIdentity: 5 });
    const before = await issueMany(store, 'us-east-1:steady', 7);
    store.close();
    const reopened = await openStore({ maxCredentialsPerIdentity: 5 });
    expect(held(reopened, before)).toEqual(before.slice(-5));
    const after = await issueMany(reopened, 'us-east-1:steady', 3);
    expect(held(reopened, [...before, ...after])).toEqual([...before, ...after].slice(-5));
    expect(storedCount('us-east-1:steady')).toBe(5);
    // Another identity's sets are never counted against this one's cap.
    const neighbour = await issueMany(reopened, 'us-east-1:steady-2', 5);
    expect(held(reopened, neighbour)).toEqual(neighbour);
    expect(held(reopened, after)).toEqual(after);
  });

  it('trims every identity to a smaller cap when reopened with one, newest kept', async () => {
    const store = await openStore({ maxCredentialsPerIdentity: 6 });
    const [first, second] = [await issueMany(store, 'us-east-1:first', 6), await issueMany(store, 'us-east-1:second', 2)];
    const service = await store.issueStatic({ ...ROLE, name: 'token-service', sessionName: 'token-service', lifetimeSeconds: 3600, sessionContext: {} });
    store.close();
    const smaller = await openStore({ maxCredentialsPerIdentity: 3 });
    expect(held(smaller, first)).toEqual(first.slice(-3));
    expect(held(smaller, second)).toEqual(second);
    expect(smaller.findByAccessKeyId(service.accessKeyId)).toEqual(service);
    expect(storedCount('us-east-1:first')).toBe(3);
  });

  it('answers an evicted key and a key past its retention as unknown, before any sweep deletes them', async () => {
    const store = await openStore({ maxCredentialsPerIdentity: 1, expiredRetentionSeconds: 60 });
    const evicted = await exchange(store, 'us-east-1:victim', 10);
    const newest = await exchange(store, 'us-east-1:victim', 10);
    expect(store.findByAccessKeyId(evicted.accessKeyId)).toBeUndefined();
    expect(store.findByAccessKeyId(newest.accessKeyId)).toEqual(newest);
    now += 10_000 + 60_000;
    // Expired, still within retention: found (so the caller can answer ExpiredToken).
    expect(store.findByAccessKeyId(newest.accessKeyId)).toEqual(newest);
    now += 1;
    expect(store.findByAccessKeyId(newest.accessKeyId)).toBeUndefined();
    expect(storedCount('us-east-1:victim')).toBe(1);
    // A key that differs only in case or length is another key.
    expect(store.findByAccessKeyId(newest.accessKeyId.toLowerCase())).toBeUndefined();
    expect(store.findByAccessKeyId(newest.accessKeyId.slice(0, -1))).toBeUndefined();
    expect(store.findByAccessKeyId(`${newest.accessKeyId}%`)).toBeUndefined();
  });

  it('sweeps sets past their retention at most once a minute on an issue, and at open', async () => {
    const store = await openStore({ expiredRetentionSeconds: 0 });
    const short = await exchange(store, 'us-east-1:short', 1);
    now += 2_000;
    await exchange(store, 'us-east-1:other');
    expect(storedCount('us-east-1:short')).toBe(1);
    now += 60_000;
    await exchange(store, 'us-east-1:other');
    expect(storedCount('us-east-1:short')).toBe(0);
    expect(store.findByAccessKeyId(short.accessKeyId)).toBeUndefined();

    const later = await exchange(store, 'us-east-1:later', 1);
    now += 2_000;
    await openStore({ expiredRetentionSeconds: 0 });
    expect(storedCount('us-east-1:later')).toBe(0);
    expect(store.findByAccessKeyId(later.accessKeyId)).toBeUndefined();
  });
});

describe('a deleted identity', () => {
  it('gets no new credentials; the ones already issued stay valid until they expire, as STS credentials do on AWS', async () => {
    const cognito = await startLocalCognito();
    try {
      const { IdentityId, Token } = await cognito.developerClient().send(
        new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: DEVELOPER_POOL.identityPoolId, Logins: { 'login.example.app': 'leaving-user' } }),
      );
      const logins = { 'cognito-identity.amazonaws.com': Token! };
      const { Credentials } = await cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
      await cognito.developerClient().send(new DeleteIdentitiesCommand({ IdentityIdsToDelete: [IdentityId!] }));

      await expect(cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      expect(cognito.credentialStore.findByAccessKeyId(Credentials!.AccessKeyId!)).toMatchObject({ accessKeyId: Credentials!.AccessKeyId });
      await cognito.restart();
      expect(cognito.credentialStore.findByAccessKeyId(Credentials!.AccessKeyId!)).toMatchObject({ accessKeyId: Credentials!.AccessKeyId });
    } finally {
      await cognito.close();
    }
  });
});
