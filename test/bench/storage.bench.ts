import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { benchResult, type BenchOptions, type BenchResult } from './bench-result.ts';
import { developmentSession, spawnMainJob } from './bench-processes.ts';

/**
 * The credential session: Cognito calls per credential lifetime over a long session. The
 * small-object table is peers.bench.ts and the large upload large-upload.bench.ts.
 */
export async function runStorageBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'storage-bench-'));
  try {
    return await measureCognitoCallsPerLifetime(options, workDirectory);
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

/**
 * A session longer than two credential lifetimes, doing S3 work all along: the ideal is one token
 * and one credential exchange per lifetime, never one per request.
 */
async function measureCognitoCallsPerLifetime(options: BenchOptions, workDirectory: string): Promise<BenchResult[]> {
  const lifetimeSeconds = options.quick ? 3 : 30;
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
