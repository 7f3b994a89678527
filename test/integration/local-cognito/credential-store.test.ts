import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';

const ROLE = { roleArn: 'arn:aws:iam::000000000000:role/TokenServiceRole', roleId: 'AROATOKENSERVICE0000' };
let dataDirectory: string;
let now: number;
const clock = () => new Date(now);

beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'credential-store-'));
  now = Date.parse('2030-01-01T00:00:00Z');
});
afterEach(() => rm(dataDirectory, { recursive: true, force: true }));

describe('CredentialStore', () => {
  it('keeps expired credentials findable for the retention period, then drops them', async () => {
    const store = await CredentialStore.open({ dataDirectory, clock, expiredRetentionSeconds: 60 });
    const issued = await store.issue({ ...ROLE, sessionName: 'session', lifetimeSeconds: 10, sessionContext: {} });
    expect(issued.expiration).toBe('2030-01-01T00:00:10.000Z');
    now += 30_000;
    expect(store.findByAccessKeyId(issued.accessKeyId)).toEqual(issued);
    now += 60_000;
    expect(store.findByAccessKeyId(issued.accessKeyId)).toBeUndefined();
    await store.issue({ ...ROLE, sessionName: 'other', lifetimeSeconds: 10, sessionContext: {} });
    const reopened = await CredentialStore.open({ dataDirectory, clock, expiredRetentionSeconds: 3600 });
    expect(reopened.findByAccessKeyId(issued.accessKeyId)).toBeUndefined();
  });

  it('returns the same static credentials by name until half their lifetime is gone, across restarts', async () => {
    const request = { ...ROLE, name: 'token-service', sessionName: 'local-token-service', lifetimeSeconds: 3600, sessionContext: {} };
    const store = await CredentialStore.open({ dataDirectory, clock });
    const first = await store.issueStatic(request);
    expect(first.sessionArn).toBe('arn:aws:sts::000000000000:assumed-role/TokenServiceRole/local-token-service');
    expect(first.userId).toBe('AROATOKENSERVICE0000:local-token-service');

    now += 1000 * 60 * 20;
    const reopened = await CredentialStore.open({ dataDirectory, clock });
    expect(await reopened.issueStatic(request)).toEqual(first);
    now += 1000 * 60 * 20;
    const renewed = await reopened.issueStatic(request);
    expect(renewed.accessKeyId).not.toBe(first.accessKeyId);
    expect(reopened.findByAccessKeyId(first.accessKeyId)).toEqual(first);
  });
});
