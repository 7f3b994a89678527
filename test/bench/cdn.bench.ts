import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl as presignS3Url } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomBytes } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import { benchResult, type BenchOptions, type BenchResult } from './bench-result.ts';
import { developmentSession, spawnMainJob } from './bench-processes.ts';

const OBJECT_BYTES = 4096;
const WORKERS = 16;
/** `sysconf(_SC_CLK_TCK)` on Linux: the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The local CDN against the local S3 for the same 4 KiB object, in one main job process: GETs of
 * a signed CDN link once cached (the signature is still checked on every request) against GETs
 * of a SigV4 pre-signed S3 URL, both over loopback HTTP with keep-alive, as requests per second
 * and as the server's CPU time per request (read from /proc for the main job's process).
 */
export async function runCdnBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'cdn-bench-'));
  const job = await spawnMainJob(join(workDirectory, 'state'));
  try {
    const outputs = JSON.parse(await readFile(job.outputsPath, 'utf8')) as { tokenServiceUrl: string; bucket: string; region: string; endpoints: { s3: string }; cdnUrl?: string };
    if (!outputs.cdnUrl) throw new Error('the main job published no cdnUrl: is delivery on?');
    const sessionToken = await developmentSession(outputs.tokenServiceUrl, 'cdn-bench');
    const client = await createNodeStorageClient(job.outputsPath, { getSessionToken: () => sessionToken });
    const { prefix } = await client.whoami();
    const key = `${prefix}bench/4k.bin`;
    const body = randomBytes(OBJECT_BYTES);
    await client.s3.send(new PutObjectCommand({ Bucket: outputs.bucket, Key: key, Body: body }));

    const link = await fetch(`${outputs.tokenServiceUrl}/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ location: 'private', key: 'bench/4k.bin', expiresInSeconds: 3600 }),
    });
    if (!link.ok) throw new Error(`POST /v1/links failed: ${link.status} ${await link.text()}`);
    const cdnLink = ((await link.json()) as { url: string }).url;
    // The loopback plain-HTTP side of the local cloud's port, so both sides skip TLS alike.
    const s3Endpoint = outputs.endpoints.s3.replace('https://127.0.0.1', 'http://127.0.0.1');
    const plainS3 = new S3Client({ region: outputs.region, endpoint: s3Endpoint, forcePathStyle: true, credentials: client.credentials.provide, requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) }) });
    const s3Link = await presignS3Url(plainS3, new GetObjectCommand({ Bucket: outputs.bucket, Key: key }), { expiresIn: 3600 });

    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
    for (const url of [cdnLink, s3Link]) {
      const answer = await get(agent, url);
      if (answer.status !== 200 || !answer.body.equals(body)) throw new Error(`warm-up GET of ${new URL(url).origin} answered ${answer.status}`);
    }
    const cached = await get(agent, cdnLink);
    if (cached.cache !== 'Hit from cloudfront') throw new Error(`the CDN did not answer from its cache (X-Cache: ${cached.cache})`);

    const durationMs = options.quick ? 1500 : 8000;
    const cdn = await measure(job.pid, durationMs, () => get(agent, cdnLink));
    const s3 = await measure(job.pid, durationMs, () => get(agent, s3Link));
    agent.destroy();
    plainS3.destroy();
    return [
      benchResult('CDN GET 4 KiB, cached, signed link (16 workers)', cdn.rate, 'GET/s', 'local S3 GET of the same object, pre-signed URL', s3.rate),
      benchResult('CDN server CPU per cached GET', cdn.cpuMicrosecondsPerRequest, 'us', 'local S3 server CPU per pre-signed GET', s3.cpuMicrosecondsPerRequest),
    ];
  } finally {
    await job.stop();
    await rm(workDirectory, { recursive: true, force: true });
  }
}

async function measure(pid: number, durationMs: number, operation: () => Promise<{ status: number }>): Promise<{ rate: number; cpuMicrosecondsPerRequest: number }> {
  let requests = 0;
  const cpuBefore = await processCpuSeconds(pid);
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (performance.now() < deadline) {
        const answer = await operation();
        if (answer.status !== 200) throw new Error(`GET answered ${answer.status} during the measurement`);
        requests += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (await processCpuSeconds(pid)) - cpuBefore;
  return { rate: requests / seconds, cpuMicrosecondsPerRequest: (cpuSeconds / requests) * 1e6 };
}

/** User plus system CPU time a process has used, from /proc/<pid>/stat (fields 14 and 15). */
async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function get(agent: Agent, url: string): Promise<{ status: number; body: Buffer; cache: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), cache: response.headers['x-cache'] as string | undefined }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
