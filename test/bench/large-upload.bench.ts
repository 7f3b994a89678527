import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchResult, type BenchOptions, type BenchResult } from './bench-result.ts';
import { firstJsonLine, peakResidentBytes, residentBytes, resetPeakResident, spawnMainJob, spawnTsx } from './bench-processes.ts';
import { writePseudoRandomFile } from './pseudo-random-file.ts';

const MIB = 1048576;
const PART_MIB = 8;
const CONCURRENCY = 4;
/** Issue 14: the client's memory growth stays within part size x concurrency + 64 MiB. */
const CLIENT_BUDGET_MIB = PART_MIB * CONCURRENCY + 64;
/** The library refreshes credentials a quarter of their lifetime before expiry (when that is under 5 minutes). */
const USABLE_LIFETIME_FRACTION = 0.75;
const UPLOAD_TIMEOUT_MS = 30 * 60_000;

interface ClientRun {
  seconds: number;
  bytes: number;
  idleResidentBytes: number;
  peakResidentBytes: number;
  credentialRefreshes: number;
  tokenRequests: number;
  verifiedBytes: number;
  sha256Matches: boolean;
}

interface UploadScenario {
  credentialsLifetimeSeconds: number;
  /** Quick run only: paces the file's reads so a small upload outlives a credential lifetime. */
  minimumSeconds?: number;
}

/**
 * A file above 5 GB (S3's single-PUT limit) through the client library, against the main job
 * with 5-minute credentials and again with 20-second ones (so they expire several times
 * mid-upload); each object is read back and its SHA-256 compared with the source's. Baseline:
 * one HTTPS PUT of the same file to a bare Node server writing it to disk, in the same run.
 */
export async function runLargeUploadBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const size = options.quick ? 64 * MIB : 6 * 1024 * MIB;
  const label = options.quick ? '64 MiB' : '6 GiB';
  const scenarios: UploadScenario[] = options.quick ? [{ credentialsLifetimeSeconds: 1, minimumSeconds: 2 }] : [{ credentialsLifetimeSeconds: 300 }, { credentialsLifetimeSeconds: 20 }];
  const workDirectory = await mkdtemp(join(tmpdir(), 'large-upload-bench-'));
  const file = join(workDirectory, 'source.bin');
  try {
    const { sha256 } = await writePseudoRandomFile(file, size);
    const results: BenchResult[] = [];
    let baseline: BareUpload | undefined;
    for (const scenario of scenarios) {
      const stateDirectory = join(workDirectory, `state-${scenario.credentialsLifetimeSeconds}`);
      const job = await spawnMainJob(stateDirectory, { LOCAL_CLOUD_CREDENTIALS_LIFETIME: String(scenario.credentialsLifetimeSeconds) });
      let run: ClientRun;
      let serverGrowth: number;
      try {
        await resetPeakResident(job.pid);
        const serverIdle = await residentBytes(job.pid);
        const client = spawnTsx('test/bench/upload-client.ts', ['client', job.outputsPath, file, String(PART_MIB), String(CONCURRENCY), sha256, ...(scenario.minimumSeconds ? [String(scenario.minimumSeconds)] : [])]);
        run = await firstJsonLine<ClientRun>(client, UPLOAD_TIMEOUT_MS);
        serverGrowth = (await peakResidentBytes(job.pid)) - serverIdle;
        await client.stop();
        // The baseline needs the main job's TLS certificate: measure it with the first state directory still there.
        baseline ??= await measureBareUpload(stateDirectory, workDirectory, file);
      } finally {
        await job.stop();
      }
      await rm(stateDirectory, { recursive: true, force: true });
      if (!run.sha256Matches || run.verifiedBytes !== size) throw new Error(`the uploaded ${label} object read back differs from the source (${run.verifiedBytes} bytes, SHA-256 ${run.sha256Matches ? 'matches' : 'differs'})`);
      results.push(...scenarioResults(label, scenario, run, baseline, serverGrowth));
    }
    return results;
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

/** The baseline's throughput (MiB/s) and its server's memory growth. */
interface BareUpload {
  throughput: number;
  serverGrowthBytes: number;
}

/** One streamed HTTPS PUT of the file to physical-baseline-server.ts. */
async function measureBareUpload(stateDirectory: string, workDirectory: string, file: string): Promise<BareUpload> {
  const server = spawnTsx('test/bench/physical-baseline-server.ts', [join(stateDirectory, 'tls', 'server.pem'), join(stateDirectory, 'tls', 'server-key.pem'), workDirectory]);
  try {
    const { port } = await firstJsonLine<{ port: number }>(server);
    await resetPeakResident(server.pid);
    const serverIdle = await residentBytes(server.pid);
    const client = spawnTsx('test/bench/upload-client.ts', ['plain', `https://127.0.0.1:${port}/upload`, join(stateDirectory, 'tls', 'ca.pem'), file]);
    const run = await firstJsonLine<{ seconds: number; bytes: number }>(client, UPLOAD_TIMEOUT_MS);
    const serverGrowthBytes = (await peakResidentBytes(server.pid)) - serverIdle;
    await client.stop();
    return { throughput: run.bytes / MIB / run.seconds, serverGrowthBytes };
  } finally {
    await server.stop();
    await rm(join(workDirectory, 'upload.bin'), { force: true });
  }
}

function scenarioResults(label: string, scenario: UploadScenario, run: ClientRun, baseline: BareUpload, serverGrowthBytes: number): BenchResult[] {
  const lifetime = scenario.credentialsLifetimeSeconds;
  const name = `${label} upload, ${lifetime} s credentials${scenario.minimumSeconds ? `, paced to ${scenario.minimumSeconds} s` : ''}`;
  const lifetimesSpanned = Math.floor(run.seconds / (lifetime * USABLE_LIFETIME_FRACTION));
  process.stderr.write(
    `  ${name}: ${run.seconds.toFixed(1)} s, ${run.credentialRefreshes} credential refreshes (GetCredentialsForIdentity) and ${run.tokenRequests} token requests; ` +
      `client ${(run.idleResidentBytes / MIB).toFixed(0)} -> ${(run.peakResidentBytes / MIB).toFixed(0)} MiB; local cloud grew ${(serverGrowthBytes / MIB).toFixed(0)} MiB; ${run.verifiedBytes} bytes read back, SHA-256 matches\n`,
  );
  return [
    benchResult(`${name}: client library multipart (${PART_MIB} MiB x ${CONCURRENCY}) -> local cloud`, (run.bytes / MIB) / run.seconds, 'MiB/s', 'one HTTPS PUT of the same file to a bare Node server writing to disk', baseline.throughput, { comparison: 'at least', ratio: 0.9 }),
    benchResult(`${name}: client memory growth (peak - before)`, (run.peakResidentBytes - run.idleResidentBytes) / MIB, 'MiB', `budget: part size x concurrency + 64 MiB`, CLIENT_BUDGET_MIB, { comparison: 'at most', ratio: 1 }),
    benchResult(`${name}: credential refreshes during the upload`, run.credentialRefreshes, 'exchanges', `lifetimes the upload spanned (${lifetime} s, refreshed at ${USABLE_LIFETIME_FRACTION * 100}%)`, lifetimesSpanned),
    benchResult(`${name}: bytes read back with the source's SHA-256`, run.verifiedBytes / MIB, 'MiB', 'bytes uploaded', run.bytes / MIB, { comparison: 'at least', ratio: 1 }),
    benchResult(`${name}: local cloud memory growth (peak - idle)`, serverGrowthBytes / MIB, 'MiB', 'the bare HTTPS server\'s growth', baseline.serverGrowthBytes / MIB),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runLargeUploadBenchmark({ quick: process.argv.includes('--quick') });
  for (const result of results) process.stdout.write(`${result.name}: ${result.value.toFixed(2)} ${result.unit} (baseline ${result.baseline}: ${result.baselineValue.toFixed(2)}; ratio ${result.ratio.toFixed(2)})\n`);
}
