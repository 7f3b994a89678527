import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityStore } from '../../../infra/local/cognito/model/identity-store.ts';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';
import type { IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import { LOCAL_DATABASE_FILE, openLocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { DEVELOPER_POOL, GUEST_POOL } from './local-cognito-fixture.ts';

const POOL_ID = DEVELOPER_POOL.identityPoolId;
/** A pool only the earlier run's file knows. */
const RETIRED_POOL = { ...GUEST_POOL, identityPoolId: 'us-east-1:33333333-3333-4333-8333-333333333333', identityPoolName: 'Retired' };
let dataDirectory: string;
const now = Date.parse('2030-01-01T00:00:00Z');
const clock = () => new Date(now);
let closers: (() => void)[];

beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'legacy-files-database-'));
  closers = [];
});
afterEach(async () => {
  for (const close of closers) close();
  await rm(dataDirectory, { recursive: true, force: true });
});

async function openIdentities(): Promise<IdentityStore> {
  const store = await IdentityStore.open({ dataDirectory, identityPools: [DEVELOPER_POOL], clock });
  closers.push(() => store.close());
  return store;
}

async function openCredentials(maxCredentialsPerIdentity = 3): Promise<CredentialStore> {
  const store = await CredentialStore.open({ dataDirectory, clock, maxCredentialsPerIdentity, expiredRetentionSeconds: 60 });
  closers.push(() => store.close());
  return store;
}

/** What the database holds, read through a connection of the test's own. */
function query<Row>(sql: string): Row[] {
  const database = openLocalDatabase(dataDirectory);
  try {
    return database.prepare(sql).all() as Row[];
  } finally {
    database.close();
  }
}

/** Credentials shaped as the earlier versions wrote them. */
function credentials(accessKeyId: string, expiresInSeconds = 3600): IssuedCredentials {
  return {
    accessKeyId,
    secretAccessKey: `secret-of-${accessKeyId}`,
    sessionToken: `token-of-${accessKeyId}`,
    expiration: new Date(now + expiresInSeconds * 1000).toISOString(),
    roleArn: 'arn:aws:iam::000000000000:role/AuthRole',
    sessionArn: 'arn:aws:sts::000000000000:assumed-role/AuthRole/CognitoIdentityCredentials',
    userId: 'AROAAUTHROLE00000000:CognitoIdentityCredentials',
    sessionContext: { 'cognito-identity.amazonaws.com:sub': 'us-east-1:legacy', 'aws:PrincipalTag/team': ['a', 'b'] },
  };
}

describe('identities.json of earlier versions', () => {
  const identity = (identityId: string, poolId: string, users: string[], authenticated = users.length > 0) => ({
    identityId,
    identityPoolId: poolId,
    developerUserIdentifiers: users,
    authenticated,
    creationDate: '2029-06-01T00:00:00.000Z',
    lastModifiedDate: '2029-06-02T00:00:00.000Z',
  });

  it('is imported once (pools, identities, logins in order) and removed; a second open changes nothing', async () => {
    await mkdir(join(dataDirectory, 'cognito'), { recursive: true });
    await writeFile(join(dataDirectory, 'cognito', 'signing-key.json'), '{"kept":"beside the database"}');
    await writeFile(
      join(dataDirectory, 'cognito', 'identities.json'),
      JSON.stringify({
        pools: [{ ...DEVELOPER_POOL, identityPoolName: 'Stored name' }, RETIRED_POOL],
        identities: [
          identity('us-east-1:merged', POOL_ID, ['dest', 'src-1', 'src-2']),
          identity('us-east-1:guest', POOL_ID, []),
          identity('us-east-1:unlinked', POOL_ID, [], true),
          identity('us-east-1:retired-user', RETIRED_POOL.identityPoolId, ['dest']),
        ],
      }),
    );

    const store = await openIdentities();
    expect(store.identityOfDeveloperUser(POOL_ID, 'src-2')).toEqual(identity('us-east-1:merged', POOL_ID, ['dest', 'src-1', 'src-2']));
    expect(store.findIdentity('us-east-1:guest')).toEqual(identity('us-east-1:guest', POOL_ID, []));
    expect(store.findIdentity('us-east-1:unlinked')).toMatchObject({ authenticated: true, developerUserIdentifiers: [] });
    expect(store.identityOfDeveloperUser(RETIRED_POOL.identityPoolId, 'dest')?.identityId).toBe('us-east-1:retired-user');
    // The pool given at open wins over the stored copy; a pool only the file knew stays served.
    expect(store.pool(POOL_ID)).toEqual(DEVELOPER_POOL);
    expect(store.pool(RETIRED_POOL.identityPoolId)).toEqual(RETIRED_POOL);
    expect((await readdir(join(dataDirectory, 'cognito'))).sort()).toEqual(['signing-key.json']);

    await store.createIdentity(POOL_ID, 'after-import');
    store.close();
    const before = query('SELECT * FROM cognito_logins ORDER BY login_order');
    const again = await openIdentities();
    expect(query('SELECT * FROM cognito_logins ORDER BY login_order')).toEqual(before);
    expect(query<{ name: string }>("SELECT name FROM local_migrations WHERE name LIKE 'cognito%'")).toHaveLength(1);
    expect(again.identityOfDeveloperUser(POOL_ID, 'after-import')).toBeDefined();
  });

  it('is not imported again when a copy shows up after the migration, only removed', async () => {
    (await openIdentities()).close();
    await mkdir(join(dataDirectory, 'cognito'), { recursive: true });
    await writeFile(join(dataDirectory, 'cognito', 'identities.json'), JSON.stringify({ pools: [], identities: [identity('us-east-1:late', POOL_ID, ['late'])] }));
    const store = await openIdentities();
    expect(store.findIdentity('us-east-1:late')).toBeUndefined();
    expect(store.identityOfDeveloperUser(POOL_ID, 'late')).toBeUndefined();
    expect(await readdir(join(dataDirectory, 'cognito'))).toEqual([]);
  });
});

describe('issued.json and issued.jsonl of earlier versions', () => {
  const credentialsDirectory = () => join(dataDirectory, 'credentials');

  it('are replayed as the earlier versions did (static names, evictions, the cap, a torn last line), then removed', async () => {
    const [serviceOld, serviceNew] = [credentials('ASIASERVICEOLD000000'), credentials('ASIASERVICENEW000000')];
    const [wholeStateUser, evictedByLog] = [credentials('ASIAWHOLESTATEUSER00'), credentials('ASIAEVICTEDBYLOG0000')];
    const crowd = Array.from({ length: 5 }, (_, index) => credentials(`ASIACROWD${index}00000000000`.slice(0, 20)));
    const longExpired = credentials('ASIALONGEXPIRED00000', -3600);
    await mkdir(credentialsDirectory(), { recursive: true });
    await writeFile(
      join(credentialsDirectory(), 'issued.json'),
      JSON.stringify({ credentials: [serviceOld, wholeStateUser, evictedByLog], staticNames: { 'token-service': serviceOld.accessKeyId } }),
    );
    const lines = [
      { credentials: serviceNew, staticName: 'token-service' },
      { credentials: credentials('ASIAREPLACEMENT00000'), identityId: 'us-east-1:evicting', evicted: [evictedByLog.accessKeyId] },
      ...crowd.map((set) => ({ credentials: set, identityId: 'us-east-1:crowd' })),
      { credentials: longExpired, identityId: 'us-east-1:expired' },
      { not: 'a record' },
    ];
    await writeFile(join(credentialsDirectory(), 'issued.jsonl'), `${lines.map((line) => JSON.stringify(line)).join('\n')}\n{"credentials":{"accessKeyId":"ASIATORN`);

    const store = await openCredentials(3);
    expect(store.findByAccessKeyId(wholeStateUser.accessKeyId)).toEqual(wholeStateUser);
    expect(store.findByAccessKeyId('ASIAREPLACEMENT00000')).toEqual(credentials('ASIAREPLACEMENT00000'));
    expect(store.findByAccessKeyId(evictedByLog.accessKeyId)).toBeUndefined();
    expect(crowd.filter((set) => store.findByAccessKeyId(set.accessKeyId) !== undefined)).toEqual(crowd.slice(-3));
    expect(store.findByAccessKeyId(longExpired.accessKeyId)).toBeUndefined();
    expect(store.findByAccessKeyId('ASIATORN')).toBeUndefined();
    // The static name moved to the newer set with it; the older one is still findable.
    const request = { roleArn: serviceNew.roleArn, roleId: 'AROAAUTHROLE00000000', name: 'token-service', sessionName: 'x', lifetimeSeconds: 3600, sessionContext: {} };
    expect(await store.issueStatic(request)).toEqual(serviceNew);
    expect(store.findByAccessKeyId(serviceOld.accessKeyId)).toEqual(serviceOld);
    expect(await readdir(dataDirectory)).not.toContain('credentials');
    expect(query<{ access_key_id: string }>('SELECT access_key_id FROM credentials_issued ORDER BY issue_order').map((row) => row.access_key_id)).toEqual([
      serviceOld.accessKeyId,
      wholeStateUser.accessKeyId,
      serviceNew.accessKeyId,
      'ASIAREPLACEMENT00000',
      ...crowd.slice(-3).map((set) => set.accessKeyId),
    ]);

    store.close();
    const before = query('SELECT * FROM credentials_issued ORDER BY issue_order');
    await openCredentials(3);
    expect(query('SELECT * FROM credentials_issued ORDER BY issue_order')).toEqual(before);
    expect(query<{ name: string }>("SELECT name FROM local_migrations WHERE name LIKE 'credentials%'")).toHaveLength(1);
  });

  it('imports the log alone, and a new log written after the migration is removed without being imported', async () => {
    const kept = credentials('ASIALOGONLY000000000');
    await mkdir(credentialsDirectory(), { recursive: true });
    await writeFile(join(credentialsDirectory(), 'issued.jsonl'), `${JSON.stringify({ credentials: kept, identityId: 'us-east-1:log-only' })}\n`);
    const store = await openCredentials();
    expect(store.findByAccessKeyId(kept.accessKeyId)).toEqual(kept);
    store.close();

    const late = credentials('ASIALATE000000000000');
    await mkdir(credentialsDirectory(), { recursive: true });
    await writeFile(join(credentialsDirectory(), 'issued.jsonl'), `${JSON.stringify({ credentials: late })}\n`);
    const again = await openCredentials();
    expect(again.findByAccessKeyId(late.accessKeyId)).toBeUndefined();
    expect(again.findByAccessKeyId(kept.accessKeyId)).toEqual(kept);
    expect(await readdir(dataDirectory)).toContain(LOCAL_DATABASE_FILE);
    expect(await readdir(dataDirectory)).not.toContain('credentials');
  });
});
