import { join } from 'node:path';
import { IdentityStore } from '../../infra/local/cognito/model/identity-store.ts';
import { startLocalCloud } from '../../infra/local/local-cloud.ts';
import { ObjectStore } from '../../infra/local/s3/model/object-store.ts';

export interface LocalCloudOpenReport {
  /** IdentityStore.open and ObjectStore.open on the seeded data directory, then closed. */
  modelOpenMs: number;
  /** startLocalCloud with the main job's stack options, to its return (servers listening). */
  localCloudOpenMs: number;
}

/**
 * The local cloud's own opening time on a seeded state directory, without the process start-up
 * and the token service around it: first the two stores that hold per-identity and per-object
 * state, then the whole `startLocalCloud` as the main job calls it (same stack options, so the
 * same cached template).
 */
async function measureLocalCloudOpen(stateDirectory: string, bucket: string, pagePort: number): Promise<LocalCloudOpenReport> {
  const dataDirectory = join(stateDirectory, 'data');
  const clock = () => new Date();
  const modelStarted = performance.now();
  const identities = await IdentityStore.open({ dataDirectory, identityPools: [], clock });
  const objects = await ObjectStore.open({ dataDirectory, bucketNames: [bucket], clock });
  const modelOpenMs = performance.now() - modelStarted;
  identities.close();
  objects.close();

  const cloudStarted = performance.now();
  const cloud = await startLocalCloud({
    stateDirectory,
    stack: { allowGuests: true, delivery: true, allowedOrigins: [`http://localhost:${pagePort}`, `http://127.0.0.1:${pagePort}`] },
  });
  const localCloudOpenMs = performance.now() - cloudStarted;
  await cloud.close();
  return { modelOpenMs, localCloudOpenMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [stateDirectory, bucket, pagePort] = process.argv.slice(2);
  const report = await measureLocalCloudOpen(stateDirectory!, bucket!, Number(pagePort));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
