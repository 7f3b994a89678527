import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { percentile } from './bench-result.ts';
import { cpuSeconds, peakResidentBytes, resetPeakResident, residentBytes, sampleResident, waitForIdleProcess } from './bench-processes.ts';

export const SMALL_OBJECT_BYTES = 4096;
export const SMALL_OBJECT_WORKERS = 16;
/** Each worker cycles through this many keys of its own, so GETs read objects that exist. */
const KEYS_PER_WORKER = 64;

/** The S3 clients of one load run, one per worker, and where each worker's keys go. */
export interface SmallObjectTarget {
  clients: S3Client[];
  bucket: string;
  keyPrefix: (worker: number) => string;
}

/** What one server did under the small-object load, measured from outside its process. */
export interface ServerUnderLoad {
  requestsPerSecond: number;
  /** Milliseconds per PUT+GET pair, sorted. */
  pairLatenciesMs: number[];
  p50Ms: number;
  p99Ms: number;
  cpuMicrosecondsPerRequest: number;
  idleResidentBytes: number;
  loadResidentBytes: number;
}

const body = randomBytes(SMALL_OBJECT_BYTES);

/** Every worker PUTs then GETs its next key until the deadline; gives requests/s and pair latencies. */
async function runPairs(target: SmallObjectTarget, durationMs: number): Promise<{ requests: number; seconds: number; pairLatenciesMs: number[] }> {
  let requests = 0;
  const pairLatenciesMs: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    target.clients.map(async (client, worker) => {
      for (let iteration = 0; performance.now() < deadline; iteration += 1) {
        const key = `${target.keyPrefix(worker)}small/${iteration % KEYS_PER_WORKER}`;
        const pairStarted = performance.now();
        await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: body }));
        const read = await (await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))).Body!.transformToByteArray();
        if (read.length !== SMALL_OBJECT_BYTES) throw new Error(`GET ${key} returned ${read.length} bytes, not ${SMALL_OBJECT_BYTES}`);
        pairLatenciesMs.push(performance.now() - pairStarted);
        requests += 2;
      }
    }),
  );
  return { requests, seconds: (performance.now() - started) / 1000, pairLatenciesMs: pairLatenciesMs.sort((a, b) => a - b) };
}

/**
 * Warms the server up, then runs the measured window: the server's CPU is the delta of its own
 * utime + stime over the window, its memory under load the larger of its peak mark (reset at the
 * window's start) and the sampled VmRSS. The clients are destroyed afterwards.
 */
export async function measureServerUnderLoad(serverPid: number, target: SmallObjectTarget, timing: { warmUpMs: number; windowMs: number; idleQuietMs: number }, idleResidentBytes?: number): Promise<ServerUnderLoad> {
  let idle = idleResidentBytes;
  if (idle === undefined) {
    await waitForIdleProcess(serverPid, timing.idleQuietMs, 10_000);
    idle = await residentBytes(serverPid);
  }
  await runPairs(target, timing.warmUpMs);
  await resetPeakResident(serverPid);
  const sampler = sampleResident(serverPid);
  const cpuBefore = await cpuSeconds(serverPid);
  const run = await runPairs(target, timing.windowMs);
  const cpuAfter = await cpuSeconds(serverPid);
  const sampledPeak = await sampler.stop();
  const loadResidentBytes = Math.max(sampledPeak, await peakResidentBytes(serverPid));
  // Close the kept-alive sockets, so the server can stop at once instead of waiting on idle connections.
  for (const client of target.clients) client.destroy();
  return {
    requestsPerSecond: run.requests / run.seconds,
    pairLatenciesMs: run.pairLatenciesMs,
    p50Ms: percentile(run.pairLatenciesMs, 0.5),
    p99Ms: percentile(run.pairLatenciesMs, 0.99),
    cpuMicrosecondsPerRequest: ((cpuAfter - cpuBefore) * 1e6) / run.requests,
    idleResidentBytes: idle,
    loadResidentBytes,
  };
}
