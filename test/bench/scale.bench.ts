import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import type { ScopedStorageClient } from '../../app/library/scoped-storage-client.ts';
import { benchResult, percentile, type BenchOptions, type BenchResult } from './bench-result.ts';
import { cpuSeconds, developmentSession, firstJsonLine, spawnTsx, type BenchProcess } from './bench-processes.ts';
import type { LocalCloudOpenReport } from './scale-local-cloud-open.ts';
import { seededObjectKey, seededUser, type SeedReport, type SeedRequest } from './scale-seed-state.ts';

const OBJECT_BYTES = 4096;
const OBJECTS_PER_IDENTITY = 10;
/** Seeded users the measured requests rotate over, per operation kind. */
const MEASURED_USERS = 8;
const START_UP_TARGET_SECONDS = 3;
const RATIO_TARGET = 1.2;
const AT_MOST_RATIO_TARGET = { comparison: 'at most', ratio: RATIO_TARGET } as const;

type OperationKind = 'PUT 4 KiB' | 'GET 4 KiB' | `LIST a prefix of ${number}` | 'new identity token';

interface OperationFigures {
  p50Ms: number;
  serverCpuMsPerOp: number;
}

interface SizeFigures {
  size: number;
  seed: SeedReport;
  startUpSeconds: number;
  open: LocalCloudOpenReport;
  operations: Map<OperationKind, OperationFigures>;
}

interface StackOutputs {
  bucket: string;
  identityPoolId: string;
  tokenServiceUrl: string;
  locations: Array<{ name: string; prefix: string }>;
}

/**
 * How the local cloud scales with what it holds: identities and objects seeded straight into a
 * stopped state directory through the stores' model API, then `npm start`'s main job started on
 * it (spawn to banner), and per-request latency (p50, one request at a time) and server CPU per
 * request over the wire with real credentials (token service -> Cognito -> SigV4). Each size is
 * compared with the smallest size of the same run.
 */
export async function runScaleBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const sizes = options.quick ? [200, 400] : [1000, 10_000, 100_000];
  const operations = options.quick ? 30 : 400;
  const workDirectory = await mkdtemp(join(tmpdir(), 'scale-bench-'));
  try {
    // One page port for the whole run: the page origin is part of the stack, so every start then uses the same cached template.
    const pagePort = await freePort();
    const templateDirectory = join(workDirectory, 'template');
    const first = await startMainJob(templateDirectory, pagePort);
    await first.job.stop();
    const outputs = JSON.parse(await readFile(join(templateDirectory, 'outputs.json'), 'utf8')) as StackOutputs;
    const figures: SizeFigures[] = [];
    for (const size of sizes) {
      const stateDirectory = join(workDirectory, `seeded-${size}`);
      await cp(templateDirectory, stateDirectory, { recursive: true, filter: (source) => !source.endsWith('process.lock') });
      figures.push(await measureSize(size, stateDirectory, outputs, pagePort, operations, options.quick ? 1 : 3));
      await rm(stateDirectory, { recursive: true, force: true });
    }
    return scaleRows(figures);
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

async function measureSize(size: number, stateDirectory: string, outputs: StackOutputs, pagePort: number, operations: number, startUpSamples: number): Promise<SizeFigures> {
  const privatePrefix = outputs.locations.find((location) => location.name === 'private')!.prefix;
  const listedUsers = Array.from({ length: MEASURED_USERS }, (_, index) => index);
  // Users past the ones holding objects: their PUTs never touch the listed prefixes.
  const writingUsers = Array.from({ length: MEASURED_USERS }, (_, index) => size / OBJECTS_PER_IDENTITY + index);
  const request: SeedRequest = {
    dataDirectory: join(stateDirectory, 'data'),
    identityPoolId: outputs.identityPoolId,
    bucket: outputs.bucket,
    privatePrefix,
    identities: size,
    objects: size,
    objectsPerIdentity: OBJECTS_PER_IDENTITY,
    objectBytes: OBJECT_BYTES,
  };
  const seeder = spawnTsx('test/bench/scale-seed-state.ts', [JSON.stringify(request), JSON.stringify([...listedUsers, ...writingUsers])]);
  const seed = await firstJsonLine<SeedReport>(seeder, 600_000);
  await seeder.stop();
  process.stderr.write(`  seeded ${label(size)}: ${size} identities in ${seed.identitySeconds.toFixed(1)} s, ${size} objects in ${seed.objectSeconds.toFixed(1)} s\n`);

  const { job, startUps } = await startMainJobRepeatedly(stateDirectory, pagePort, startUpSamples);
  const startUpSeconds = percentile(startUps.toSorted((left, right) => left - right), 0.5);
  const measured = new Map<OperationKind, OperationFigures>();
  try {
    const running = JSON.parse(await readFile(join(stateDirectory, 'outputs.json'), 'utf8')) as StackOutputs;
    const outputsPath = join(stateDirectory, 'outputs.json');
    const readers = await Promise.all(listedUsers.map((user) => signedInClient(outputsPath, running.tokenServiceUrl, user, seed)));
    const writers = await Promise.all(writingUsers.map((user) => signedInClient(outputsPath, running.tokenServiceUrl, user, seed)));
    const body = randomBytes(OBJECT_BYTES);

    measured.set(
      'PUT 4 KiB',
      await measureOperations(job.pid, operations, async (index) => {
        const { client, prefix } = writers[index % writers.length]!;
        await client.s3.send(new PutObjectCommand({ Bucket: running.bucket, Key: `${prefix}bench/put-${index % 16}`, Body: body }));
      }),
    );
    measured.set(
      'GET 4 KiB',
      await measureOperations(job.pid, operations, async (index) => {
        const { client, identityId } = readers[index % readers.length]!;
        const object = await client.s3.send(new GetObjectCommand({ Bucket: running.bucket, Key: seededObjectKey(privatePrefix, identityId, index % OBJECTS_PER_IDENTITY) }));
        const bytes = await object.Body!.transformToByteArray();
        if (bytes.length !== OBJECT_BYTES) throw new Error(`a seeded object read back ${bytes.length} bytes`);
      }),
    );
    measured.set(
      `LIST a prefix of ${OBJECTS_PER_IDENTITY}`,
      await measureOperations(job.pid, operations, async (index) => {
        const { client, prefix } = readers[index % readers.length]!;
        const page = await client.s3.send(new ListObjectsV2Command({ Bucket: running.bucket, Prefix: prefix }));
        if (page.KeyCount !== OBJECTS_PER_IDENTITY) throw new Error(`listing ${prefix} found ${page.KeyCount} keys, not the ${OBJECTS_PER_IDENTITY} seeded`);
      }),
    );
    const warmUp = Math.ceil(operations / 10);
    const newUsers = await Promise.all(Array.from({ length: operations + warmUp }, (_, index) => developmentSession(running.tokenServiceUrl, `new-user-${size}-${index}`)));
    measured.set(
      'new identity token',
      await measureOperations(job.pid, operations, async (index) => {
        const response = await fetch(`${running.tokenServiceUrl}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${newUsers[index]!}` } });
        const token = (await response.json()) as { identityId?: string };
        if (response.status !== 200 || !token.identityId) throw new Error(`POST /v1/token for a new user answered ${response.status}`);
      }),
    );
  } finally {
    await job.stop();
  }
  const opener = spawnTsx('test/bench/scale-local-cloud-open.ts', [stateDirectory, outputs.bucket, String(pagePort)]);
  const open = await firstJsonLine<LocalCloudOpenReport>(opener, 300_000);
  await opener.stop();
  process.stderr.write(
    `  seeded ${label(size)}: start-up ${startUps.map((seconds) => seconds.toFixed(2)).join(', ')} s (stores ${open.modelOpenMs.toFixed(0)} ms, startLocalCloud ${open.localCloudOpenMs.toFixed(0)} ms); ` +
      `${[...measured].map(([kind, figures]) => `${kind} p50 ${figures.p50Ms.toFixed(2)} ms, CPU ${figures.serverCpuMsPerOp.toFixed(2)} ms/op`).join('; ')}; ` +
      // Other work on the machine moves latencies far more than the sizes do; the load average says how quiet it was.
      `load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  return { size, seed, startUpSeconds, open, operations: measured };
}

/** A seeded user signed in through the token service, checked to land on the identity seeded for it. */
async function signedInClient(outputsPath: string, tokenServiceUrl: string, user: number, seed: SeedReport): Promise<{ client: ScopedStorageClient; identityId: string; prefix: string }> {
  const sessionToken = await developmentSession(tokenServiceUrl, seededUser(user));
  const client = await createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken });
  const { identityId, prefix } = await client.whoami();
  if (identityId !== seed.identityIds[String(user)]) throw new Error(`${seededUser(user)} signed in as ${identityId}, not the seeded identity ${seed.identityIds[String(user)]}`);
  return { client, identityId, prefix };
}

/** Warms up, then runs `count` operations one at a time: their p50 and the server's CPU time per operation over the measured ones. */
async function measureOperations(serverPid: number, count: number, operation: (index: number) => Promise<void>): Promise<OperationFigures> {
  const warmUp = Math.ceil(count / 10);
  for (let index = 0; index < warmUp; index += 1) await operation(count + index);
  const latencies: number[] = [];
  const cpuBefore = await cpuSeconds(serverPid);
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await operation(index);
    latencies.push(performance.now() - started);
  }
  const cpuMs = ((await cpuSeconds(serverPid)) - cpuBefore) * 1000;
  return { p50Ms: percentile(latencies.sort((left, right) => left - right), 0.5), serverCpuMsPerOp: cpuMs / count };
}

/**
 * Starts the main job `samples` times (stopping all but the last), since one start swings by a
 * second with whatever else the machine runs; the benchmark reports their median.
 */
async function startMainJobRepeatedly(stateDirectory: string, pagePort: number, samples: number): Promise<{ job: BenchProcess; startUps: number[] }> {
  const startUps: number[] = [];
  for (;;) {
    const { job, startUpSeconds } = await startMainJob(stateDirectory, pagePort);
    startUps.push(startUpSeconds);
    if (startUps.length >= samples) return { job, startUps };
    await job.stop();
  }
}

/** `npm start`'s main job on a state directory, timed from spawn to its banner. */
async function startMainJob(stateDirectory: string, pagePort: number): Promise<{ job: BenchProcess; startUpSeconds: number }> {
  const started = performance.now();
  const job = spawnTsx('infra/local/main-job.ts', [], { PAGE_PORT: String(pagePort), SCOPED_STORAGE_STATE_DIR: stateDirectory });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the main job printed no banner within 2 minutes')), 120_000);
    // Keep reading: a full stdout pipe would block the job.
    job.child.stdout!.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('Scoped Storage is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    job.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the main job exited (${code}) during start-up`));
    });
  });
  try {
    await ready;
  } catch (error) {
    await job.stop();
    throw error;
  }
  return { job, startUpSeconds: (performance.now() - started) / 1000 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function label(size: number): string {
  return `${size / 1000}k`;
}

/** Every size against the smallest of the same run; start-up also against its absolute target. */
function scaleRows(figures: SizeFigures[]): BenchResult[] {
  const smallest = figures[0]!;
  const baselineName = (what: string, targeted: boolean) => `${what}, seeded ${label(smallest.size)}${targeted ? ` (target <= ${RATIO_TARGET}x)` : ''}`;
  const rows: BenchResult[] = [];
  for (const current of figures.slice(1)) {
    const seeded = `seeded ${label(current.size)} identities + ${label(current.size)} objects`;
    for (const [kind, figure] of current.operations) {
      const base = smallest.operations.get(kind)!;
      rows.push(benchResult(`scale: ${kind} p50, ${seeded}`, figure.p50Ms, 'ms', baselineName('same', true), base.p50Ms, AT_MOST_RATIO_TARGET));
      rows.push(benchResult(`scale: ${kind} server CPU per op, ${seeded}`, figure.serverCpuMsPerOp, 'ms', baselineName('same', true), base.serverCpuMsPerOp, AT_MOST_RATIO_TARGET));
    }
    rows.push(benchResult(`scale: startLocalCloud open, ${seeded}`, current.open.localCloudOpenMs, 'ms', baselineName('same', false), smallest.open.localCloudOpenMs));
    rows.push(benchResult(`scale: identity + object store open, ${seeded}`, current.open.modelOpenMs, 'ms', baselineName('same', false), smallest.open.modelOpenMs));
    rows.push(benchResult(`scale: seeding identities through IdentityStore.createIdentity, ${seeded}`, current.size / current.seed.identitySeconds, 'identities/s', baselineName('same rate', false), smallest.size / smallest.seed.identitySeconds));
    rows.push(benchResult(`scale: seeding 4 KiB objects through Bucket.stage + putObject, ${seeded}`, current.size / current.seed.objectSeconds, 'objects/s', baselineName('same rate', false), smallest.size / smallest.seed.objectSeconds));
  }
  for (const current of figures) {
    rows.push(
      benchResult(`scale: npm start spawn to banner, seeded ${label(current.size)} identities + ${label(current.size)} objects`, current.startUpSeconds, 's', `target <= ${START_UP_TARGET_SECONDS} s`, START_UP_TARGET_SECONDS, {
        comparison: 'at most',
        ratio: 1,
      }),
    );
  }
  const largest = figures.at(-1)!;
  rows.push(benchResult(`scale: npm start spawn to banner, seeded ${label(largest.size)}`, largest.startUpSeconds, 's', `same, seeded ${label(smallest.size)}`, smallest.startUpSeconds));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runScaleBenchmark({ quick: process.argv.includes('--quick') });
  for (const result of results) process.stdout.write(`${result.name}: ${result.value.toFixed(2)} ${result.unit} (baseline ${result.baseline}: ${result.baselineValue.toFixed(2)}; ratio ${result.ratio.toFixed(2)})\n`);
}
