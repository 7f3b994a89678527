import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import type { ScopedStorageClient } from '../../app/library/scoped-storage-client.ts';
import { benchResult, percentile, type BenchOptions, type BenchResult } from './bench-result.ts';
import { cpuSeconds, developmentSession, firstJsonLine, freeLoopbackPort, spawnTsx, type BenchProcess } from './bench-processes.ts';
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

interface SizeFigures extends PreparedSize {
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
 * request over the wire with real credentials (token service -> Cognito -> SigV4), with every
 * size's job running and the sizes taking turns. Each size is compared with the smallest size of
 * the same run.
 */
export async function runScaleBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const sizes = options.quick ? [200, 400] : [1000, 10_000, 100_000];
  const operations = options.quick ? 30 : 400;
  const workDirectory = await mkdtemp(join(tmpdir(), 'scale-bench-'));
  try {
    // One page port for the start-ups: the page origin is part of the stack, so every timed start uses the same cached template.
    const pagePort = await freeLoopbackPort();
    const templateDirectory = join(workDirectory, 'template');
    const first = await startMainJob(templateDirectory, pagePort);
    await first.job.stop();
    const outputs = JSON.parse(await readFile(join(templateDirectory, 'outputs.json'), 'utf8')) as StackOutputs;
    const prepared: PreparedSize[] = [];
    for (const size of sizes) {
      const stateDirectory = join(workDirectory, `seeded-${size}`);
      await cp(templateDirectory, stateDirectory, { recursive: true, filter: (source) => !source.endsWith('process.lock') });
      prepared.push(await prepareSize(size, stateDirectory, outputs, pagePort, options.quick ? 1 : 3));
    }
    const measured = await measureAcrossSizes(prepared, outputs, operations);
    return scaleRows(prepared.map((size, index) => ({ ...size, operations: measured[index]! })));
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

interface PreparedSize {
  size: number;
  stateDirectory: string;
  seed: SeedReport;
  startUpSeconds: number;
  open: LocalCloudOpenReport;
}

/** Seeds a copy of the started-once state directory, then times the main job's start-up and the local cloud's own open on it. */
async function prepareSize(size: number, stateDirectory: string, outputs: StackOutputs, pagePort: number, startUpSamples: number): Promise<PreparedSize> {
  const request: SeedRequest = {
    dataDirectory: join(stateDirectory, 'data'),
    identityPoolId: outputs.identityPoolId,
    bucket: outputs.bucket,
    privatePrefix: privatePrefixOf(outputs),
    identities: size,
    objects: size,
    objectsPerIdentity: OBJECTS_PER_IDENTITY,
    objectBytes: OBJECT_BYTES,
  };
  const seeder = spawnTsx('test/bench/scale-seed-state.ts', [JSON.stringify(request), JSON.stringify([...listingUsers(), ...writingUsers(size)])]);
  const seed = await firstJsonLine<SeedReport>(seeder, 600_000);
  await seeder.stop();

  const startUps: number[] = [];
  while (startUps.length < startUpSamples) {
    const { job, startUpSeconds } = await startMainJob(stateDirectory, pagePort);
    startUps.push(startUpSeconds);
    await job.stop();
  }
  const opener = spawnTsx('test/bench/scale-local-cloud-open.ts', [stateDirectory, outputs.bucket, String(pagePort)]);
  const open = await firstJsonLine<LocalCloudOpenReport>(opener, 300_000);
  await opener.stop();
  process.stderr.write(
    `  seeded ${label(size)}: ${size} identities in ${seed.identitySeconds.toFixed(1)} s, ${size} objects in ${seed.objectSeconds.toFixed(1)} s; ` +
      `start-up ${startUps.map((seconds) => seconds.toFixed(2)).join(', ')} s (stores ${open.modelOpenMs.toFixed(0)} ms, startLocalCloud ${open.localCloudOpenMs.toFixed(0)} ms); ` +
      `load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  // The median of a few starts: one start swings by a second with whatever else the machine runs.
  return { size, stateDirectory, seed, startUpSeconds: percentile(startUps.toSorted((left, right) => left - right), 0.5), open };
}

function privatePrefixOf(outputs: StackOutputs): string {
  return outputs.locations.find((location) => location.name === 'private')!.prefix;
}

/** Seeded users holding objects, whose prefixes are listed and read. */
function listingUsers(): number[] {
  return Array.from({ length: MEASURED_USERS }, (_, index) => index);
}

/** Seeded users past the ones holding objects: their PUTs never touch the listed prefixes. */
function writingUsers(size: number): number[] {
  return Array.from({ length: MEASURED_USERS }, (_, index) => size / OBJECTS_PER_IDENTITY + index);
}

interface RunningSize {
  job: BenchProcess;
  bucket: string;
  tokenServiceUrl: string;
  readers: SignedInClient[];
  writers: SignedInClient[];
  newUserSessions: string[];
}

/**
 * Runs every size's main job at once and measures each operation kind in small batches taking
 * turns between the sizes, so a burst of other work on the machine lands on all sizes alike
 * instead of on whichever size happened to be measured then. These jobs take any free page port
 * (their start-up is not what is timed here).
 */
async function measureAcrossSizes(prepared: PreparedSize[], outputs: StackOutputs, operations: number): Promise<Array<Map<OperationKind, OperationFigures>>> {
  const privatePrefix = privatePrefixOf(outputs);
  const warmUp = Math.ceil(operations / 10);
  const running: RunningSize[] = [];
  try {
    for (const { size, stateDirectory, seed } of prepared) {
      const { job } = await startMainJob(stateDirectory, 0);
      const started = JSON.parse(await readFile(join(stateDirectory, 'outputs.json'), 'utf8')) as StackOutputs;
      const outputsPath = join(stateDirectory, 'outputs.json');
      running.push({
        job,
        bucket: started.bucket,
        tokenServiceUrl: started.tokenServiceUrl,
        readers: await Promise.all(listingUsers().map((user) => signedInClient(outputsPath, started.tokenServiceUrl, user, seed))),
        writers: await Promise.all(writingUsers(size).map((user) => signedInClient(outputsPath, started.tokenServiceUrl, user, seed))),
        newUserSessions: await Promise.all(Array.from({ length: operations + warmUp }, (_, index) => developmentSession(started.tokenServiceUrl, `new-user-${index}`))),
      });
    }
    const body = randomBytes(OBJECT_BYTES);
    const kinds: Array<[OperationKind, (size: RunningSize, index: number) => Promise<void>]> = [
      [
        'PUT 4 KiB',
        async ({ writers, bucket }, index) => {
          const { client, prefix } = writers[index % writers.length]!;
          await client.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}bench/put-${index % 16}`, Body: body }));
        },
      ],
      [
        'GET 4 KiB',
        async ({ readers, bucket }, index) => {
          const { client, identityId } = readers[index % readers.length]!;
          const object = await client.s3.send(new GetObjectCommand({ Bucket: bucket, Key: seededObjectKey(privatePrefix, identityId, index % OBJECTS_PER_IDENTITY) }));
          const bytes = await object.Body!.transformToByteArray();
          if (bytes.length !== OBJECT_BYTES) throw new Error(`a seeded object read back ${bytes.length} bytes`);
        },
      ],
      [
        `LIST a prefix of ${OBJECTS_PER_IDENTITY}`,
        async ({ readers, bucket }, index) => {
          const { client, prefix } = readers[index % readers.length]!;
          const page = await client.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
          if (page.KeyCount !== OBJECTS_PER_IDENTITY) throw new Error(`listing ${prefix} found ${page.KeyCount} keys, not the ${OBJECTS_PER_IDENTITY} seeded`);
        },
      ],
      [
        'new identity token',
        async ({ tokenServiceUrl, newUserSessions }, index) => {
          const response = await fetch(`${tokenServiceUrl}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${newUserSessions[index]!}` } });
          const token = (await response.json()) as { identityId?: string };
          if (response.status !== 200 || !token.identityId) throw new Error(`POST /v1/token for a new user answered ${response.status}`);
        },
      ],
    ];
    const figures = running.map(() => new Map<OperationKind, OperationFigures>());
    for (const [kind, operation] of kinds) {
      const bySize = await measureInTurns(running, operations, warmUp, operation);
      bySize.forEach((figure, index) => figures[index]!.set(kind, figure));
      process.stderr.write(`  ${kind}: ${bySize.map((figure, index) => `seeded ${label(prepared[index]!.size)} p50 ${figure.p50Ms.toFixed(2)} ms, CPU ${figure.serverCpuMsPerOp.toFixed(2)} ms/op`).join('; ')}; load average ${loadavg()[0]!.toFixed(1)}\n`);
    }
    return figures;
  } finally {
    await Promise.all(running.map(({ job }) => job.stop()));
  }
}

/** Operations per turn: enough that the CPU reading's 10 ms ticks stay small against the batch. */
const BATCH = 20;

/**
 * Warms every size up, then runs `count` operations per size one at a time, in batches that take
 * turns between the sizes (rotating who goes first): each size's p50 and its server's CPU time per
 * operation over its own batches.
 */
async function measureInTurns(sizes: RunningSize[], count: number, warmUp: number, operation: (size: RunningSize, index: number) => Promise<void>): Promise<OperationFigures[]> {
  for (const size of sizes) for (let index = 0; index < warmUp; index += 1) await operation(size, count + index);
  const latencies = sizes.map((): number[] => []);
  const cpuMs = sizes.map(() => 0);
  for (let round = 0; round * BATCH < count; round += 1) {
    for (let turn = 0; turn < sizes.length; turn += 1) {
      const which = (round + turn) % sizes.length;
      const size = sizes[which]!;
      const cpuBefore = await cpuSeconds(size.job.pid);
      for (let index = round * BATCH; index < Math.min(count, (round + 1) * BATCH); index += 1) {
        const started = performance.now();
        await operation(size, index);
        latencies[which]!.push(performance.now() - started);
      }
      cpuMs[which]! += ((await cpuSeconds(size.job.pid)) - cpuBefore) * 1000;
    }
  }
  return sizes.map((_, which) => ({ p50Ms: percentile(latencies[which]!.sort((left, right) => left - right), 0.5), serverCpuMsPerOp: cpuMs[which]! / count }));
}

type SignedInClient = { client: ScopedStorageClient; identityId: string; prefix: string };

/** A seeded user signed in through the token service, checked to land on the identity seeded for it. */
async function signedInClient(outputsPath: string, tokenServiceUrl: string, user: number, seed: SeedReport): Promise<SignedInClient> {
  const sessionToken = await developmentSession(tokenServiceUrl, seededUser(user));
  const client = await createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken });
  const { identityId, prefix } = await client.whoami();
  if (identityId !== seed.identityIds[String(user)]) throw new Error(`${seededUser(user)} signed in as ${identityId}, not the seeded identity ${seed.identityIds[String(user)]}`);
  return { client, identityId, prefix };
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


function seededLabel(size: number): string {
  return `seeded ${label(size)} identities + ${label(size)} objects`;
}

function label(size: number): string {
  return size >= 1000 ? `${size / 1000}k` : String(size);
}

/** Every size against the smallest of the same run; start-up also against its absolute target. */
function scaleRows(figures: SizeFigures[]): BenchResult[] {
  const smallest = figures[0]!;
  const baselineName = (what: string, targeted: boolean) => `${what}, seeded ${label(smallest.size)}${targeted ? ` (target <= ${RATIO_TARGET}x)` : ''}`;
  const rows: BenchResult[] = [];
  for (const current of figures.slice(1)) {
    const seeded = seededLabel(current.size);
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
  // The start-up target is for the largest size; the smaller sizes show whether it grows with what the state holds.
  const largest = figures.at(-1)!;
  for (const current of figures) {
    const target = current === largest ? ({ comparison: 'at most', ratio: 1 } as const) : undefined;
    rows.push(benchResult(`scale: npm start spawn to banner, ${seededLabel(current.size)}`, current.startUpSeconds, 's', `target <= ${START_UP_TARGET_SECONDS} s`, START_UP_TARGET_SECONDS, target));
  }
  rows.push(benchResult(`scale: npm start spawn to banner against the smallest size, ${seededLabel(largest.size)}`, largest.startUpSeconds, 's', `same, seeded ${label(smallest.size)}`, smallest.startUpSeconds));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runScaleBenchmark({ quick: process.argv.includes('--quick') });
  for (const result of results) process.stdout.write(`${result.name}: ${result.value.toFixed(2)} ${result.unit} (baseline ${result.baseline}: ${result.baselineValue.toFixed(2)}; ratio ${result.ratio.toFixed(2)})\n`);
}
