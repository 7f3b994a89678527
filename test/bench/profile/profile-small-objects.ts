import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createNodeStorageClient } from '../../../app/library/node/create-node-storage-client.ts';
import { developmentSession, firstJsonLine } from '../bench-processes.ts';

/**
 * Where the local S3 spends its CPU on small objects: starts the main job under `--cpu-prof`,
 * drives 16 SDK clients doing 4 KiB PUT then GET (HTTPS, then loopback HTTP), reads the server's
 * CPU time from /proc before and after each phase, and prints the profile's self time by function
 * and by file for the HTTPS phase. Optionally (`--s3rver`) measures s3rver the same way.
 *
 * `node --import tsx test/bench/profile/profile-small-objects.ts [--seconds 8] [--s3rver] [--out DIR]`
 */

const WORKERS = 16;
const OBJECT_BYTES = 4096;
const TOP = 30;

interface Options {
  seconds: number;
  s3rver: boolean;
  outDirectory: string | undefined;
}

interface PhaseResult {
  name: string;
  pairs: number;
  cpuMicroseconds: number;
  wallSeconds: number;
  /** Monotonic microseconds (the clock V8 stamps profile samples with). */
  startMicroseconds: number;
  endMicroseconds: number;
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = process.cwd();
const CLOCK_TICKS_PER_SECOND = 100;

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 8, s3rver: false, outDirectory: undefined };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--seconds') options.seconds = Number(argv[(index += 1)]);
    else if (argument === '--s3rver') options.s3rver = true;
    else if (argument === '--out') options.outDirectory = argv[(index += 1)];
    else throw new Error(`unknown argument ${argument}`);
  }
  return options;
}

/** utime + stime of a process (all its threads), in microseconds. */
async function processCpuMicroseconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

function monotonicMicroseconds(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function spawnNode(args: string[], environment: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.once('exit', (code) => {
    if (code) process.stderr.write(`${args.join(' ')} exited with ${code}: ${stderr}\n`);
  });
  return child;
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForOutputs(outputsPath: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const outputs = await readFile(outputsPath, 'utf8')
      .then((text) => JSON.parse(text) as { tokenServiceUrl?: string })
      .catch(() => undefined);
    if (outputs?.tokenServiceUrl) return;
    if (child.exitCode !== null) throw new Error('the main job exited during start-up');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the main job did not start within 2 minutes');
}

/** Runs PUT+GET pairs from every worker for `seconds` after a warm-up, measuring the server's CPU. */
async function measurePhase(name: string, serverPid: number, seconds: number, putAndGet: (worker: number, iteration: number) => Promise<void>): Promise<PhaseResult> {
  const run = async (durationMs: number): Promise<number> => {
    let pairs = 0;
    const deadline = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        for (let iteration = 0; performance.now() < deadline; iteration += 1) {
          await putAndGet(worker, iteration);
          pairs += 1;
        }
      }),
    );
    return pairs;
  };
  await run(Math.min(3000, seconds * 500));
  const cpuBefore = await processCpuMicroseconds(serverPid);
  const startMicroseconds = monotonicMicroseconds();
  const started = performance.now();
  const pairs = await run(seconds * 1000);
  const wallSeconds = (performance.now() - started) / 1000;
  const endMicroseconds = monotonicMicroseconds();
  const cpuMicroseconds = (await processCpuMicroseconds(serverPid)) - cpuBefore;
  return { name, pairs, cpuMicroseconds, wallSeconds, startMicroseconds, endMicroseconds };
}

function describePhase(phase: PhaseResult): string {
  return `${phase.name}: ${phase.pairs} PUT+GET pairs in ${phase.wallSeconds.toFixed(1)} s (${(phase.pairs / phase.wallSeconds).toFixed(0)} pairs/s), server CPU ${(phase.cpuMicroseconds / phase.pairs).toFixed(0)} us per pair`;
}

/** Self time per profile node within [start, end] (monotonic microseconds), idle excluded. */
function selfTimes(profile: CpuProfile, startMicroseconds: number, endMicroseconds: number): Map<CpuProfileNode, number> {
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map<CpuProfileNode, number>();
  let timestamp = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    const delta = profile.timeDeltas[index] ?? 0;
    timestamp += delta;
    if (timestamp < startMicroseconds || timestamp > endMicroseconds) continue;
    const node = nodesById.get(profile.samples[index]!)!;
    if (node.callFrame.functionName === '(idle)') continue;
    times.set(node, (times.get(node) ?? 0) + delta);
  }
  return times;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url;
  return path.replace(/^node_modules\//, 'nm/');
}

function topTable(title: string, totals: Map<string, number>, total: number): string {
  const rows = [...totals.entries()].sort((left, right) => right[1] - left[1]).slice(0, TOP);
  const lines = rows.map(([label, time]) => `${((time / total) * 100).toFixed(1).padStart(5)}%  ${label}`);
  return [`${title} (self time, ${(total / 1000).toFixed(0)} ms sampled)`, ...lines].join('\n');
}

function summarizeProfile(profile: CpuProfile, phase: PhaseResult): string {
  const times = selfTimes(profile, phase.startMicroseconds, phase.endMicroseconds);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const [node, time] of times) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url);
    const functionLabel = `${functionName || '(anonymous)'}  ${file}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(functionLabel, (byFunction.get(functionLabel) ?? 0) + time);
    byFile.set(file, (byFile.get(file) ?? 0) + time);
    total += time;
  }
  return `${topTable(`top ${TOP} functions, ${phase.name}`, byFunction, total)}\n\n${topTable(`top ${TOP} files, ${phase.name}`, byFile, total)}`;
}

async function measureS3rver(workDirectory: string, seconds: number, body: Buffer): Promise<PhaseResult> {
  const server = spawnNode(['--import', 'tsx', 'test/bench/s3rver-server.ts', join(workDirectory, 's3rver')], {});
  try {
    const { port } = await firstJsonLine<{ port: number }>({ child: server, pid: server.pid!, stop: () => stopProcess(server) });
    const clients = Array.from(
      { length: WORKERS },
      () =>
        new S3Client({
          region: 'us-east-1',
          endpoint: `http://127.0.0.1:${port}`,
          forcePathStyle: true,
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }) }),
        }),
    );
    return await measurePhase('s3rver, no auth (HTTP)', server.pid!, seconds, async (worker, iteration) => {
      const key = `w${worker}/small/${iteration % 64}`;
      await clients[worker]!.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
      await (await clients[worker]!.send(new GetObjectCommand({ Bucket: 'bench', Key: key }))).Body!.transformToByteArray();
    });
  } finally {
    await stopProcess(server);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workDirectory = await mkdtemp(join(tmpdir(), 'profile-small-objects-'));
  const profileDirectory = options.outDirectory ?? join(workDirectory, 'profiles');
  await mkdir(profileDirectory, { recursive: true });
  const stateDirectory = join(workDirectory, 'state');
  const outputsPath = join(stateDirectory, 'outputs.json');
  const body = randomBytes(OBJECT_BYTES);

  // A first start in the same state directory (the template's cache key covers its options) fills the template cache, so the measured one serves without aws-cdk-lib loaded (its perf hooks wrap every fs call).
  // The page's port is one of the stack's options (its allowed origin): the same port for both starts, or the cache would miss again.
  const pagePort = String(await freePort());
  const warmUp = spawnNode(['--import', 'tsx', 'infra/local/main-job.ts'], { PAGE_PORT: pagePort, SCOPED_STORAGE_STATE_DIR: stateDirectory });
  await waitForOutputs(outputsPath, warmUp);
  await stopProcess(warmUp);
  await rm(outputsPath);

  const job = spawnNode(['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`, '--import', 'tsx', 'infra/local/main-job.ts'], { PAGE_PORT: pagePort, SCOPED_STORAGE_STATE_DIR: stateDirectory });
  const phases: PhaseResult[] = [];
  try {
    await waitForOutputs(outputsPath, job);
    const outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as { tokenServiceUrl: string; bucket: string; endpoints: { s3: string } };
    const clients = await Promise.all(
      Array.from({ length: WORKERS }, async (_, index) => {
        const sessionToken = await developmentSession(outputs.tokenServiceUrl, `profile-${index}`);
        const client = await createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken });
        const identity = await client.whoami();
        return { client, prefix: identity.prefix };
      }),
    );
    const putAndGet = (s3: S3Client, key: string) => async () => {
      await s3.send(new PutObjectCommand({ Bucket: outputs.bucket, Key: key, Body: body }));
      await (await s3.send(new GetObjectCommand({ Bucket: outputs.bucket, Key: key }))).Body!.transformToByteArray();
    };
    phases.push(
      await measurePhase('local cloud, SigV4 + IAM over HTTPS', job.pid!, options.seconds, (worker, iteration) =>
        putAndGet(clients[worker]!.client.s3, `${clients[worker]!.prefix}small/${iteration % 64}`)(),
      ),
    );
    const httpEndpoint = outputs.endpoints.s3.replace('https://127.0.0.1', 'http://127.0.0.1');
    const plainClients = clients.map(
      ({ client }) =>
        new S3Client({ region: 'us-east-1', endpoint: httpEndpoint, forcePathStyle: true, credentials: client.credentials.provide, requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }) }) }),
    );
    phases.push(
      await measurePhase('local cloud, SigV4 + IAM over loopback HTTP', job.pid!, options.seconds, (worker, iteration) =>
        putAndGet(plainClients[worker]!, `${clients[worker]!.prefix}small/${iteration % 64}`)(),
      ),
    );
  } finally {
    await stopProcess(job);
  }
  if (options.s3rver) phases.push(await measureS3rver(workDirectory, options.seconds, body));

  const profileFile = (await readdir(profileDirectory)).find((name) => name.endsWith('.cpuprofile'));
  const report: string[] = phases.map(describePhase);
  if (profileFile === undefined) {
    report.push('no CPU profile was written (the main job did not exit cleanly)');
  } else {
    const profile = JSON.parse(await readFile(join(profileDirectory, profileFile), 'utf8')) as CpuProfile;
    if (profile.nodes.some((node) => node.callFrame.url.includes('/aws-cdk-lib/'))) {
      report.push('', 'note: the template cache missed on the measured start, so aws-cdk-lib was loaded and its perf hooks wrap every fs call in these figures');
    }
    for (const phase of phases.slice(0, 2)) report.push('', summarizeProfile(profile, phase));
    report.push('', `profile: ${join(profileDirectory, profileFile)}`);
  }
  const text = report.join('\n');
  process.stdout.write(`${text}\n`);
  await writeFile(join(profileDirectory, 'summary.txt'), `${text}\n`);
  if (options.outDirectory === undefined) await rm(join(workDirectory, 'state'), { recursive: true, force: true });
}

await main();
