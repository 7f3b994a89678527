import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { IdentityStore } from '../../infra/local/cognito/model/identity-store.ts';
import type { ObjectAttributes } from '../../infra/local/s3/model/object-record.ts';
import { ObjectStore } from '../../infra/local/s3/model/object-store.ts';

/** What the scale benchmark asks this process to seed into a stopped local cloud's data directory. */
export interface SeedRequest {
  dataDirectory: string;
  identityPoolId: string;
  bucket: string;
  /** The private location's prefix with `{identityId}` in it, e.g. `users/{identityId}/`. */
  privatePrefix: string;
  identities: number;
  objects: number;
  objectsPerIdentity: number;
  objectBytes: number;
}

export interface SeedReport {
  identitySeconds: number;
  objectSeconds: number;
  /** Identity ids by seeded user index, for the users the benchmark signs in as. */
  identityIds: Record<string, string>;
}

/** Writes in flight while seeding objects: each one stages, fsyncs and records on its own. */
const OBJECT_WRITERS = 16;

export const SEEDED_OBJECT_ATTRIBUTES: ObjectAttributes = {
  headers: { contentType: 'application/octet-stream' },
  userMetadata: {},
  encryption: { algorithm: 'AES256' },
  storageClass: 'STANDARD',
};

export function seededUser(index: number): string {
  return `scale-user-${index}`;
}

export function seededObjectKey(privatePrefix: string, identityId: string, index: number): string {
  return `${privatePrefix.replace('{identityId}', identityId)}seeded/file-${String(index).padStart(3, '0')}`;
}

/**
 * Seeds identities (each with one developer login, `scale-user-<n>`) and objects (under the first
 * identities' private prefixes, `objectsPerIdentity` each) through the stores' own model API, as
 * the local cloud's operations would write them, while no server holds the data directory.
 */
export async function seedState(request: SeedRequest, usersToReport: number[]): Promise<SeedReport> {
  const clock = () => new Date();
  const identityIds: string[] = [];
  const identitiesStarted = performance.now();
  const identities = await IdentityStore.open({ dataDirectory: request.dataDirectory, identityPools: [], clock });
  for (let index = 0; index < request.identities; index += 1) {
    identityIds.push((await identities.createIdentity(request.identityPoolId, seededUser(index))).identityId);
  }
  identities.close();
  const identitySeconds = (performance.now() - identitiesStarted) / 1000;

  const objectsStarted = performance.now();
  const store = await ObjectStore.open({ dataDirectory: request.dataDirectory, bucketNames: [request.bucket], clock });
  const bucket = store.bucket(request.bucket);
  const body = randomBytes(request.objectBytes);
  let next = 0;
  await Promise.all(
    Array.from({ length: OBJECT_WRITERS }, async () => {
      for (let object = next++; object < request.objects; object = next++) {
        const owner = identityIds[Math.floor(object / request.objectsPerIdentity) % identityIds.length]!;
        const staged = await bucket.stage(Readable.from([body]), { maxBytes: request.objectBytes });
        await bucket.putObject({ key: seededObjectKey(request.privatePrefix, owner, object % request.objectsPerIdentity), staged, attributes: SEEDED_OBJECT_ATTRIBUTES });
      }
    }),
  );
  store.close();
  const objectSeconds = (performance.now() - objectsStarted) / 1000;
  return { identitySeconds, objectSeconds, identityIds: Object.fromEntries(usersToReport.map((index) => [String(index), identityIds[index]!])) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [requestJson, usersJson] = process.argv.slice(2);
  const report = await seedState(JSON.parse(requestJson!) as SeedRequest, JSON.parse(usersJson!) as number[]);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
