import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent as HttpAgent } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { benchResult, type BenchOptions, type BenchResult, type RatioTarget } from './bench-result.ts';
import { commandLine, developmentSession, firstJsonLine, freeLoopbackPort, residentBytes, spawnMainJob, spawnTsx, waitForIdleProcess, type BenchProcess } from './bench-processes.ts';
import { startMotoServer } from './moto-server.ts';
import { measureServerUnderLoad, SMALL_OBJECT_WORKERS, type ServerUnderLoad, type SmallObjectTarget } from './small-object-load.ts';

const MIB = 1048576;
/** Issue 14: the main job idles in at most this much memory after a restart. */
const RESTART_IDLE_BUDGET_MIB = 150;
const TITLE = `4 KiB PUT+GET, ${SMALL_OBJECT_WORKERS} SDK clients`;

interface PeerTiming {
  warmUpMs: number;
  windowMs: number;
  idleQuietMs: number;
}

interface PeerRow {
  peer: string;
  command: string;
  measured: ServerUnderLoad;
}

/**
 * The small-object table: the same load (16 AWS SDK v3 clients, each a 4 KiB PUT then a GET of
 * its own keys) against a bare HTTP server (the load generator's ceiling), s3rver, moto, and the
 * local cloud over HTTPS and loopback HTTP, one server at a time; plus the main job's idle memory
 * after a restart.
 */
export async function runPeersBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  // idleQuietMs: how long a server must use no CPU before its idle memory is read.
  const timing = options.quick ? { warmUpMs: 300, windowMs: 1000, idleQuietMs: 300 } : { warmUpMs: 2000, windowMs: 10_000, idleQuietMs: 1000 };
  const workDirectory = await mkdtemp(join(tmpdir(), 'peers-bench-'));
  try {
    const bare = printed(await measureNodeServer('bare HTTP server', spawnTsx('test/bench/bare-http-server.ts', []), timing, 'bench'));
    const s3rver = printed(await measureNodeServer('s3rver', spawnTsx('test/bench/s3rver-server.ts', [join(workDirectory, 's3rver')]), timing, 'bench'));
    const moto = await measureMoto(options, timing);
    if (moto) printed(moto);
    const { https, http, restartIdleResidentBytes } = await measureLocalCloud(join(workDirectory, 'state'), timing);
    printed(https);
    printed(http);
    process.stderr.write(`  main job restarted on the same state directory: ${(restartIdleResidentBytes / MIB).toFixed(0)} MiB idle\n`);
    return [
      ...peerResults(s3rver, bare),
      ...(moto ? peerResults(moto, bare) : []),
      ...peerResults(https, bare, { s3rver, moto }),
      ...peerResults(http, bare, { s3rver, moto }),
      benchResult(
        'main job RSS idle after a restart (same state directory)',
        restartIdleResidentBytes / MIB,
        'MiB',
        `budget ${RESTART_IDLE_BUDGET_MIB} MiB`,
        RESTART_IDLE_BUDGET_MIB,
        { comparison: 'at most', ratio: 1 },
      ),
    ];
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

function plainClients(endpoint: string, credentials: S3Client['config']['credentials'] | { accessKeyId: string; secretAccessKey: string }): S3Client[] {
  return Array.from(
    { length: SMALL_OBJECT_WORKERS },
    () => new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }) }) }),
  );
}

// s3rver accepts only its own default key pair; the bare server and moto accept any.
const UNCHECKED_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A Node server script that prints `{"port"}`: the bare server and s3rver (its own process, its own pid). */
async function measureNodeServer(peer: string, server: BenchProcess, timing: PeerTiming, bucket: string): Promise<PeerRow> {
  try {
    const { port } = await firstJsonLine<{ port: number }>(server);
    const target: SmallObjectTarget = { clients: plainClients(`http://127.0.0.1:${port}`, UNCHECKED_CREDENTIALS), bucket, keyPrefix: (worker) => `w${worker}/` };
    return { peer, command: await commandLine(server.pid), measured: await measureServerUnderLoad(server.pid, target, timing) };
  } finally {
    await server.stop();
  }
}

async function measureMoto(options: BenchOptions, timing: PeerTiming): Promise<PeerRow | undefined> {
  const started = await startMotoServer(options.quick ? 15_000 : 60_000);
  if ('skipped' in started) {
    process.stderr.write(`  moto row skipped: ${started.skipped}\n`);
    return undefined;
  }
  const moto = started.server;
  try {
    const clients = plainClients(`http://127.0.0.1:${moto.port}`, UNCHECKED_CREDENTIALS);
    await clients[0]!.send(new CreateBucketCommand({ Bucket: 'bench' }));
    // moto_server is a pyenv shim that execs Python: the same pid ends up being the Python server.
    const command = await commandLine(moto.pid);
    if (!command.includes('python')) throw new Error(`pid ${moto.pid} is not moto's Python process: ${command}`);
    return { peer: 'moto', command, measured: await measureServerUnderLoad(moto.pid, { clients, bucket: 'bench', keyPrefix: (worker) => `w${worker}/` }, timing) };
  } finally {
    await moto.stop();
  }
}

/**
 * `npm start`'s main job (local cloud, token service, page) in its own Node process, the clients
 * signed in through the token service and Cognito as an app's are: over HTTPS, then the same
 * credentials over the port's loopback plain-HTTP side. Then the job is stopped and started
 * again on the same state directory for its idle memory after a restart.
 */
async function measureLocalCloud(stateDirectory: string, timing: PeerTiming): Promise<{ https: PeerRow; http: PeerRow; restartIdleResidentBytes: number }> {
  // One page port for both starts: with PAGE_PORT=0 the page's origin, part of the stack options,
  // would change on every start and the restart would miss the cached template (and load the CDK).
  const environment = { PAGE_PORT: String(await freeLoopbackPort()) };
  const job = await spawnMainJob(stateDirectory, environment);
  let https: PeerRow;
  let http: PeerRow;
  try {
    await waitForIdleProcess(job.pid, timing.idleQuietMs, 15_000);
    const idle = await residentBytes(job.pid);
    const command = await commandLine(job.pid);
    if (!command.includes('main-job.ts')) throw new Error(`pid ${job.pid} is not the main job: ${command}`);
    const outputs = JSON.parse(await readFile(job.outputsPath, 'utf8')) as { tokenServiceUrl: string; bucket: string; endpoints: { s3: string } };
    const signedIn = await Promise.all(
      Array.from({ length: SMALL_OBJECT_WORKERS }, async (_, index) => {
        const sessionToken = await developmentSession(outputs.tokenServiceUrl, `peers-${index}`);
        const client = await createNodeStorageClient(job.outputsPath, { getSessionToken: () => sessionToken });
        return { client, prefix: (await client.whoami()).prefix };
      }),
    );
    const keyPrefix = (worker: number) => signedIn[worker]!.prefix;
    https = { peer: 'ours, SigV4 + IAM, HTTPS', command, measured: await measureServerUnderLoad(job.pid, { clients: signedIn.map(({ client }) => client.s3), bucket: outputs.bucket, keyPrefix }, timing, idle) };
    const httpEndpoint = `http://localhost:${new URL(outputs.endpoints.s3).port}`;
    const httpClients = signedIn.map(({ client }) => plainClients(httpEndpoint, client.credentials.provide)[0]!);
    http = { peer: 'ours, SigV4 + IAM, loopback HTTP', command, measured: await measureServerUnderLoad(job.pid, { clients: httpClients, bucket: outputs.bucket, keyPrefix }, timing, idle) };
  } finally {
    await job.stop();
  }
  const restarted = await spawnMainJob(stateDirectory, environment);
  try {
    await waitForIdleProcess(restarted.pid, timing.idleQuietMs, 20_000);
    return { https, http, restartIdleResidentBytes: await residentBytes(restarted.pid) };
  } finally {
    await restarted.stop();
  }
}

/** The figures of one peer, each against the bare server (ours: CPU against s3rver and moto, with the targets). */
function peerResults(row: PeerRow, bare: PeerRow, cpuPeers?: { s3rver: PeerRow; moto: PeerRow | undefined }): BenchResult[] {
  const name = `${TITLE}: ${row.peer}`;
  const ceiling = 'bare HTTP server (load generator ceiling)';
  const cpuRow = (against: PeerRow, target: RatioTarget) =>
    benchResult(`${name}, server CPU per request (against ${against.peer})`, row.measured.cpuMicrosecondsPerRequest, 'us', `${against.peer} server CPU per request`, against.measured.cpuMicrosecondsPerRequest, target);
  return [
    benchResult(`${name}, requests/s`, row.measured.requestsPerSecond, 'req/s', ceiling, bare.measured.requestsPerSecond),
    benchResult(`${name}, p50 per PUT+GET`, row.measured.p50Ms, 'ms', ceiling, bare.measured.p50Ms),
    benchResult(`${name}, p99 per PUT+GET`, row.measured.p99Ms, 'ms', ceiling, bare.measured.p99Ms),
    ...(cpuPeers
      ? [cpuRow(cpuPeers.s3rver, { comparison: 'at most', ratio: 0.5 }), ...(cpuPeers.moto ? [cpuRow(cpuPeers.moto, { comparison: 'at most', ratio: 0.25 })] : [])]
      : [benchResult(`${name}, server CPU per request`, row.measured.cpuMicrosecondsPerRequest, 'us', ceiling, bare.measured.cpuMicrosecondsPerRequest)]),
    benchResult(`${name}, server RSS idle`, row.measured.idleResidentBytes / MIB, 'MiB', ceiling, bare.measured.idleResidentBytes / MIB),
    benchResult(`${name}, server RSS under load`, row.measured.loadResidentBytes / MIB, 'MiB', ceiling, bare.measured.loadResidentBytes / MIB),
  ];
}

/** Prints one server's figures side by side as soon as they are measured (stderr; the table carries the ratios). */
function printed(row: PeerRow): PeerRow {
  const { peer, command, measured } = row;
  process.stderr.write(
    `  ${peer.padEnd(34)} ${measured.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${measured.p50Ms.toFixed(1).padStart(6)} ms  p99 ${measured.p99Ms.toFixed(1).padStart(6)} ms  ` +
      `CPU ${measured.cpuMicrosecondsPerRequest.toFixed(0).padStart(5)} us/req  RSS ${(measured.idleResidentBytes / MIB).toFixed(0)} -> ${(measured.loadResidentBytes / MIB).toFixed(0)} MiB  (${command.slice(-60)})\n`,
  );
  return row;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runPeersBenchmark({ quick: process.argv.includes('--quick') });
  for (const result of results) process.stdout.write(`${result.name}: ${result.value.toFixed(2)} ${result.unit} (baseline ${result.baseline}: ${result.baselineValue.toFixed(2)}; ratio ${result.ratio.toFixed(2)})\n`);
}
