import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopedStorageClient } from '../../app/library/index.ts';
import { createNodeRequestHandler, createNodeStorageClient, readStorageOutputsFile } from '../../app/library/node/create-node-storage-client.ts';
import { startMainJob, type RunningMainJob } from '../../infra/local/main-job.ts';
import { developmentSession } from '../bench/bench-processes.ts';
import { md5Etag, runPool } from './reliability-helpers.ts';

const CONCURRENCY = 32;

/** Bounded bursts on loopback: every answer must be right, none may be a 5xx. */
describe('load: bounded bursts against the token service and the local cloud', () => {
  let stateDirectory: string;
  let job: RunningMainJob;

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'reliability-load-'));
    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, tokenServiceLog: false });
  });
  afterAll(async () => {
    await job?.close();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('token service: 2,000 token requests from 250 users, 32 at a time: all 200, each token valid for its user\'s identity', async () => {
    const users = Array.from({ length: 250 }, (_, index) => `load-user-${index}`);
    const sessions = new Map<string, string>();
    await runPool(users, CONCURRENCY, async (user) => {
      sessions.set(user, await developmentSession(job.tokenService.url, user));
    });
    const jwks = createLocalJWKSet((await (await fetch(`${job.cloud.httpEndpoint}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    const poolId = job.cloud.outputs.identityPoolId;

    // 8 requests a user (within the per-user burst), interleaved so concurrent requests mix users.
    const requests = Array.from({ length: 2000 }, (_, index) => users[index % users.length]!);
    const statuses = new Map<number, number>();
    const identityOf = new Map<string, Set<string>>();
    const wrong: string[] = [];
    await runPool(requests, CONCURRENCY, async (user) => {
      const response = await fetch(`${job.tokenService.url}/v1/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessions.get(user)!}`, 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status !== 200) {
        wrong.push(`${user}: HTTP ${response.status} ${await response.text()}`);
        return;
      }
      const body = (await response.json()) as { identityId: string; token: string; expiresAt: string };
      const { payload } = await jwtVerify(body.token, jwks, { audience: poolId }).catch((error: unknown) => {
        wrong.push(`${user}: token does not verify: ${(error as Error).message}`);
        return { payload: undefined };
      });
      if (!payload) return;
      if (payload.sub !== body.identityId) wrong.push(`${user}: token sub ${payload.sub} is not the identity ${body.identityId}`);
      if (!(payload.amr as string[] | undefined)?.includes('authenticated')) wrong.push(`${user}: token amr ${JSON.stringify(payload.amr)}`);
      if (Math.abs(new Date(body.expiresAt).getTime() - payload.exp! * 1000) > 1000) wrong.push(`${user}: expiresAt ${body.expiresAt} is not the token's exp`);
      const seen = identityOf.get(user) ?? new Set<string>();
      seen.add(body.identityId);
      identityOf.set(user, seen);
    });

    const serverErrors = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
    const identities = new Set([...identityOf.values()].flatMap((set) => [...set]));
    console.log(
      `[load suite] token service: requests ${requests.length + users.length} (${users.length} sign-ins, ${requests.length} tokens), concurrency ${CONCURRENCY}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, 5xx ${serverErrors}, wrong answers ${wrong.length}, identities ${identities.size}`,
    );
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(serverErrors).toBe(0);
    expect(statuses.get(200)).toBe(requests.length);
    // One identity per user, and no two users share one.
    expect([...identityOf.values()].every((set) => set.size === 1)).toBe(true);
    expect(identities.size).toBe(users.length);
  });

  it('local cloud: 1,000 PUTs then 1,000 GETs from 8 identities, 32 at a time: no 5xx, every object back byte-identical, listings complete', async () => {
    const outputs = await readStorageOutputsFile(job.cloud.outputsPath);
    const requestHandler = await createNodeRequestHandler(outputs, CONCURRENCY);
    const clients: { storage: ScopedStorageClient; s3: S3Client; prefix: string }[] = [];
    for (let index = 0; index < 8; index += 1) {
      const session = await developmentSession(job.tokenService.url, `load-writer-${index}`);
      const storage = await createNodeStorageClient(job.cloud.outputsPath, { getSessionToken: () => session });
      // No retries: a 5xx must show, not be hidden by the SDK's retry.
      const s3 = new S3Client({ region: outputs.region, endpoint: outputs.endpoints!.s3, forcePathStyle: true, credentials: storage.credentials.provide, requestHandler, maxAttempts: 1 });
      clients.push({ storage, s3, prefix: (await storage.whoami()).prefix });
    }
    const objects = Array.from({ length: 1000 }, (_, index) => {
      const owner = clients[index % clients.length]!;
      return { owner, key: `${owner.prefix}load/object-${String(index).padStart(4, '0')}.bin`, body: randomBytes(index % 50 === 0 ? 0 : 1 + ((index * 7919) % (64 * 1024))) };
    });
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const failures: string[] = [];
    const fail = (what: string, error: unknown) => {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      count(status);
      failures.push(`${what}: ${status} ${(error as Error).name} ${(error as Error).message}`);
    };

    await runPool(objects, CONCURRENCY, async ({ owner, key, body }) => {
      try {
        const response = await owner.s3.send(new PutObjectCommand({ Bucket: outputs.bucket, Key: key, Body: body }));
        count(response.$metadata.httpStatusCode ?? 0);
        if (response.ETag !== md5Etag(body)) failures.push(`PUT ${key}: ETag ${response.ETag}`);
      } catch (error) {
        fail(`PUT ${key}`, error);
      }
    });
    let lost = 0;
    await runPool(objects, CONCURRENCY, async ({ owner, key, body }) => {
      try {
        const response = await owner.s3.send(new GetObjectCommand({ Bucket: outputs.bucket, Key: key }));
        count(response.$metadata.httpStatusCode ?? 0);
        const stored = Buffer.from(await response.Body!.transformToByteArray());
        if (!stored.equals(body)) {
          lost += 1;
          failures.push(`GET ${key}: ${stored.length} bytes differ from the ${body.length} written`);
        }
      } catch (error) {
        lost += 1;
        fail(`GET ${key}`, error);
      }
    });
    let listed = 0;
    let listRequests = 0;
    for (const client of clients) {
      const keys = new Set<string>();
      let token: string | undefined;
      do {
        const page = await client.s3.send(new ListObjectsV2Command({ Bucket: outputs.bucket, Prefix: `${client.prefix}load/`, ContinuationToken: token, MaxKeys: 50 }));
        listRequests += 1;
        count(page.$metadata.httpStatusCode ?? 0);
        for (const object of page.Contents ?? []) keys.add(object.Key!);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const expected = objects.filter((object) => object.owner === client).map((object) => object.key);
      for (const key of expected) if (!keys.has(key)) failures.push(`listing of ${client.prefix} lacks ${key}`);
      listed += keys.size;
      if (keys.size !== expected.length) failures.push(`listing of ${client.prefix}: ${keys.size} keys, expected ${expected.length}`);
    }
    requestHandler.destroy();

    const serverErrors = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
    console.log(
      `[load suite] local cloud: requests ${objects.length * 2 + listRequests} (${objects.length} PUT, ${objects.length} GET, ${listRequests} list pages), concurrency ${CONCURRENCY}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, 5xx ${serverErrors}, lost objects ${lost}, listed ${listed}/${objects.length}`,
    );
    expect(failures.slice(0, 5)).toEqual([]);
    expect(serverErrors).toBe(0);
    expect(lost).toBe(0);
    expect(listed).toBe(objects.length);
  });
});
