import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { benchResult, type BenchOptions, type BenchResult } from './bench-result.ts';
import { developmentSession, firstJsonLine, peakResidentBytes, residentBytes, resetPeakResident, spawnMainJob, spawnTsx } from './bench-processes.ts';

const MIB = 1048576;
const PART_MIB = 8;
const CONCURRENCY = 4;
const SMALL_OBJECT_BYTES = 4096;
const SMALL_OBJECT_WORKERS = 16;

/**
 * Storage figures, each next to a baseline from the same run: large-upload throughput against a
 * bare HTTPS server writing to disk, small-object operations against s3rver, peak memories, and
 * Cognito calls per credential lifetime over a long session.
 */
export async function runStorageBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'storage-bench-'));
  const results: BenchResult[] = [];
  const job = await spawnMainJob(join(workDirectory, 'state'));
  try {
    const outputs = JSON.parse(await readFile(job.outputsPath, 'utf8')) as { tokenServiceUrl: string; endpoints: { s3: string }; bucket: string; caCertificate: string };
    results.push(...(await measureSmallObjects(options, job.outputsPath, outputs, workDirectory)));
    results.push(...(await measureLargeUpload(options, job.pid, job.outputsPath, join(workDirectory, 'state'), workDirectory)));
  } finally {
    await job.stop();
  }
  results.push(...(await measureCognitoCallsPerLifetime(options, workDirectory)));
  await rm(workDirectory, { recursive: true, force: true });
  return results;
}

async function runWorkers(durationMs: number, workers: number, operation: (worker: number, iteration: number) => Promise<number>): Promise<number> {
  let operations = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let iteration = 0; performance.now() < deadline; iteration += 1) {
        // Await first, then add: `operations += await ...` would read the total before the wait and lose the other workers' counts.
        const done = await operation(worker, iteration);
        operations += done;
      }
    }),
  );
  return operations / ((performance.now() - started) / 1000);
}

async function measureSmallObjects(options: BenchOptions, outputsPath: string, outputs: { tokenServiceUrl: string }, workDirectory: string): Promise<BenchResult[]> {
  const durationMs = options.quick ? 1500 : 8000;
  const body = randomBytes(SMALL_OBJECT_BYTES);
  const clients = await Promise.all(
    Array.from({ length: SMALL_OBJECT_WORKERS }, async (_, index) => {
      const sessionToken = await developmentSession(outputs.tokenServiceUrl, `small-${index}`);
      const client = await createNodeStorageClient(outputsPath, { getSessionToken: () => sessionToken });
      const identity = await client.whoami();
      return { client, prefix: identity.prefix };
    }),
  );
  const bucket = (JSON.parse(await readFile(outputsPath, 'utf8')) as { bucket: string }).bucket;
  const putAndGet = async (s3: S3Client, bucketName: string, key: string) => {
    await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: body }));
    await (await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }))).Body!.transformToByteArray();
    return 2;
  };
  const localRate = await runWorkers(durationMs, SMALL_OBJECT_WORKERS, (worker, iteration) => putAndGet(clients[worker]!.client.s3, bucket, `${clients[worker]!.prefix}small/${iteration % 64}`));
  // The same clients over the loopback plain-HTTP side of the same port: what the authentication and authorization cost without TLS, like s3rver.
  const httpEndpoint = (JSON.parse(await readFile(outputsPath, 'utf8')) as { endpoints: { s3: string } }).endpoints.s3.replace('https://127.0.0.1', 'http://127.0.0.1');
  const plainClients = clients.map(
    ({ client }) =>
      new S3Client({ region: 'us-east-1', endpoint: httpEndpoint, forcePathStyle: true, credentials: client.credentials.provide, requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }) }) }),
  );
  const localPlainRate = await runWorkers(durationMs, SMALL_OBJECT_WORKERS, (worker, iteration) => putAndGet(plainClients[worker]!, bucket, `${clients[worker]!.prefix}small/${iteration % 64}`));

  const s3rver = spawnTsx('test/bench/s3rver-server.ts', [join(workDirectory, 's3rver')]);
  try {
    const { port } = await firstJsonLine<{ port: number }>(s3rver);
    const baselineClients = Array.from(
      { length: SMALL_OBJECT_WORKERS },
      () =>
        new S3Client({
          region: 'us-east-1',
          endpoint: `http://127.0.0.1:${port}`,
          forcePathStyle: true,
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }) }),
        }),
    );
    const s3rverRate = await runWorkers(durationMs, SMALL_OBJECT_WORKERS, (worker, iteration) => putAndGet(baselineClients[worker]!, 'bench', `w${worker}/small/${iteration % 64}`));
    return [
      benchResult(`4 KiB PUT+GET, ${SMALL_OBJECT_WORKERS} SDK clients, SigV4 + IAM over HTTPS`, localRate, 'ops/s', 's3rver, no auth (HTTP)', s3rverRate),
      benchResult(`4 KiB PUT+GET, ${SMALL_OBJECT_WORKERS} SDK clients, SigV4 + IAM over loopback HTTP`, localPlainRate, 'ops/s', 's3rver, no auth (HTTP)', s3rverRate),
    ];
  } finally {
    await s3rver.stop();
  }
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const stream = createWriteStream(path);
  for (let written = 0; written < bytes; written += 16 * MIB) {
    if (!stream.write(randomBytes(Math.min(16 * MIB, bytes - written)))) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

async function measureLargeUpload(options: BenchOptions, cloudPid: number, outputsPath: string, stateDirectory: string, workDirectory: string): Promise<BenchResult[]> {
  const size = options.quick ? 64 * MIB : 1024 * MIB;
  const label = options.quick ? '64 MiB' : '1 GiB';
  const file = join(workDirectory, 'large.bin');
  await writeRandomFile(file, size);

  await resetPeakResident(cloudPid);
  const serverIdle = await residentBytes(cloudPid);
  const client = spawnTsx('test/bench/upload-client.ts', ['client', outputsPath, file, String(PART_MIB), String(CONCURRENCY)]);
  const clientRun = await firstJsonLine<{ seconds: number; bytes: number; peakResidentBytes: number; idleResidentBytes: number }>(client, 15 * 60_000);
  const serverPeak = await peakResidentBytes(cloudPid);
  await client.stop();

  const baselineServer = spawnTsx('test/bench/physical-baseline-server.ts', [join(stateDirectory, 'tls', 'server.pem'), join(stateDirectory, 'tls', 'server-key.pem'), workDirectory]);
  try {
    const { port } = await firstJsonLine<{ port: number }>(baselineServer);
    await resetPeakResident(baselineServer.pid);
    const baselineServerIdle = await residentBytes(baselineServer.pid);
    const baselineClient = spawnTsx('test/bench/upload-client.ts', ['plain', `https://127.0.0.1:${port}/upload`, join(stateDirectory, 'tls', 'ca.pem'), file]);
    const baselineRun = await firstJsonLine<{ seconds: number; bytes: number; peakResidentBytes: number; idleResidentBytes: number }>(baselineClient, 15 * 60_000);
    const baselineServerPeak = await peakResidentBytes(baselineServer.pid);
    await baselineClient.stop();
    const throughput = clientRun.bytes / MIB / clientRun.seconds;
    const baselineThroughput = baselineRun.bytes / MIB / baselineRun.seconds;
    const budget = PART_MIB * CONCURRENCY + 64;
    process.stderr.write(
      `  ${label}: local cloud ${(serverIdle / MIB).toFixed(0)} MiB idle -> ${(serverPeak / MIB).toFixed(0)} MiB peak; bare server ${(baselineServerIdle / MIB).toFixed(0)} -> ${(baselineServerPeak / MIB).toFixed(0)} MiB; ` +
        `client ${(clientRun.idleResidentBytes / MIB).toFixed(0)} -> ${(clientRun.peakResidentBytes / MIB).toFixed(0)} MiB; plain PUT client ${(baselineRun.idleResidentBytes / MIB).toFixed(0)} -> ${(baselineRun.peakResidentBytes / MIB).toFixed(0)} MiB\n`,
    );
    return [
      benchResult(`${label} upload, client library multipart (${PART_MIB} MiB x ${CONCURRENCY}) -> local cloud`, throughput, 'MiB/s', 'one HTTPS PUT to a bare Node server writing to disk', baselineThroughput),
      benchResult(`${label} upload, local cloud memory growth (peak - idle)`, (serverPeak - serverIdle) / MIB, 'MiB', 'bare HTTPS server growth', (baselineServerPeak - baselineServerIdle) / MIB),
      benchResult(`${label} upload, client memory growth (peak - idle)`, (clientRun.peakResidentBytes - clientRun.idleResidentBytes) / MIB, 'MiB', 'budget: part size x concurrency + 64 MiB', budget),
      benchResult(`${label} upload, client peak memory`, clientRun.peakResidentBytes / MIB, 'MiB', 'plain HTTPS PUT client peak memory', baselineRun.peakResidentBytes / MIB),
    ];
  } finally {
    await baselineServer.stop();
    await rm(file, { force: true });
  }
}

/**
 * A session longer than two credential lifetimes, doing S3 work all along: the ideal is one token
 * and one credential exchange per lifetime, never one per request.
 */
async function measureCognitoCallsPerLifetime(options: BenchOptions, workDirectory: string): Promise<BenchResult[]> {
  const lifetimeSeconds = options.quick ? 6 : 30;
  const job = await spawnMainJob(join(workDirectory, 'short-lived'), { LOCAL_CLOUD_CREDENTIALS_LIFETIME: String(lifetimeSeconds) });
  try {
    const outputs = JSON.parse(await readFile(job.outputsPath, 'utf8')) as { tokenServiceUrl: string; caCertificate: string };
    const sessionToken = await developmentSession(outputs.tokenServiceUrl, 'long-session');
    const client = await createNodeStorageClient(job.outputsPath, { getSessionToken: () => sessionToken });
    const { prefix } = await client.whoami();
    const bucket = (JSON.parse(await readFile(job.outputsPath, 'utf8')) as { bucket: string }).bucket;
    const durationMs = lifetimeSeconds * 2.5 * 1000;
    let s3Operations = 0;
    const deadline = Date.now() + durationMs;
    while (Date.now() < deadline) {
      await client.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}session/${s3Operations % 16}`, Body: 'x' }));
      s3Operations += 1;
    }
    // A client must refresh ahead of expiry (the library: 5 minutes, or a quarter of the lifetime if shorter), so each credential serves lifetime - margin.
    const usableSeconds = lifetimeSeconds - Math.min(300, lifetimeSeconds / 4);
    const lifetimes = Math.ceil(durationMs / 1000 / usableSeconds);
    const exchangesPerLifetime = client.credentials.counts.credentialExchanges / lifetimes;
    process.stderr.write(
      `  session of ${(durationMs / 1000).toFixed(0)} s with ${lifetimeSeconds} s credentials: ${s3Operations} S3 operations, ${client.credentials.counts.tokenRequests} token requests, ${client.credentials.counts.credentialExchanges} credential exchanges (${((client.credentials.counts.credentialExchanges * 1000) / s3Operations).toFixed(2)} per 1,000 S3 operations)\n`,
    );
    return [
      benchResult(`credential exchanges per credential lifetime (${s3Operations} S3 ops, ${lifetimes} lifetimes)`, exchangesPerLifetime, 'per lifetime', 'ideal: one per lifetime', 1),
      benchResult('token requests per session of 2.5 credential lifetimes', client.credentials.counts.tokenRequests, 'requests', 'ideal: one (the 15-minute token outlives the session)', 1),
      benchResult('Cognito calls per 1,000 S3 operations', ((client.credentials.counts.tokenRequests + client.credentials.counts.credentialExchanges) * 1000) / s3Operations, 'calls', 'one call per S3 operation', 1000),
    ];
  } finally {
    await job.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runStorageBenchmark({ quick: process.argv.includes('--quick') });
  for (const result of results) process.stdout.write(`${result.name}: ${result.value.toFixed(2)} ${result.unit} (baseline ${result.baseline}: ${result.baselineValue.toFixed(2)}; ratio ${result.ratio.toFixed(2)})\n`);
}
