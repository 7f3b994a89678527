import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { expectServiceError } from '../service-error-assertions.ts';
import { startComposedCloud, type ComposedCloud } from './composed-cloud.ts';

const CAP = 20;
const EXCHANGES = 200;

/**
 * One signed-in user trading the same token for credentials over and over: the local cloud keeps
 * only the newest `maxCredentialsPerIdentity` sets, older ones answer like an unknown key, and the
 * state on disk stays small, across a restart too.
 */
describe('credentials issued to one identity are bounded', () => {
  let stateDirectory: string;
  let composed: ComposedCloud;

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'credential-bounds-'));
    composed = await startComposedCloud({ stateDirectory, maxCredentialsPerIdentity: CAP });
  });
  afterAll(async () => {
    await composed?.close();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it(`keeps the newest ${CAP} of ${EXCHANGES} credential sets; an evicted one is InvalidAccessKeyId in S3`, async () => {
    const { identityId, token } = await composed.openIdToken('many-exchanges');
    const prefix = `users/${identityId}/`;
    const issued: Awaited<ReturnType<ComposedCloud['exchange']>>[] = [];
    for (let index = 0; index < EXCHANGES; index++) issued.push(await composed.exchange(identityId, token));

    const put = (credentials: (typeof issued)[number], name: string) =>
      composed.s3With(credentials).send(new PutObjectCommand({ Bucket: composed.bucket, Key: `${prefix}${name}`, Body: name }));
    await put(issued.at(-1)!, 'newest.txt');
    await put(issued.at(-CAP)!, 'oldest-kept.txt');
    await expectServiceError(put(issued.at(-CAP - 1)!, 'evicted.txt'), 'InvalidAccessKeyId', 403);
    await expectServiceError(put(issued[0]!, 'first.txt'), 'InvalidAccessKeyId', 403);
    const held = issued.filter((credentials) => composed.cloud.credentialStore.findByAccessKeyId(credentials.accessKeyId) !== undefined);
    expect(held).toHaveLength(CAP);

    // Evicted sets leave the database, so what one identity makes the local cloud keep is bounded.
    const database = openLocalDatabase(composed.dataDirectory);
    try {
      expect(database.prepare('SELECT count(*) AS count FROM credentials_issued WHERE identity_id = ?').get(identityId)).toEqual({ count: CAP });
    } finally {
      database.close();
    }

    await composed.close();
    composed = await startComposedCloud({ stateDirectory, maxCredentialsPerIdentity: CAP });
    await put(issued.at(-1)!, 'newest-after-restart.txt');
    await expectServiceError(put(issued.at(-CAP - 1)!, 'evicted-after-restart.txt'), 'InvalidAccessKeyId', 403);
  });
});
