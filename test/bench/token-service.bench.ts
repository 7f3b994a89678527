import { execFile } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { bundleLambdaHandler } from '../integration/token-service/lambda-events.ts';
import { startLocalCognito, startTestIssuer, startTokenService } from '../integration/token-service/token-service-fixture.ts';
import { benchResult, percentile, type BenchOptions, type BenchResult } from './bench-result.ts';

const CONCURRENCY = 32;
const run = promisify(execFile);

interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Token service throughput and latency over HTTP at 32 concurrent clients, for cache hits and for
 * misses (distinct users, each a Cognito call on the local Cognito), next to a bare Hono handler
 * on the same kind of server; and the Lambda bundle's size and import time.
 */
export async function runTokenServiceBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const durationMs = options.quick ? 500 : 5000;
  const missCount = options.quick ? 128 : 2000;
  const [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  const service = await startTokenService(cognito, issuer, { rateLimit: { ratePerSecond: 1e9, burst: 1e9 }, logSink: () => undefined });
  const bare = await startBareHono();
  try {
    const baseline = await loadFor(durationMs, () => post(`${bare.url}/v1/token`));

    const hitSessions = await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => issuer.sessionToken(`cached-${index}`)));
    await Promise.all(hitSessions.map((session) => post(`${service.url}/v1/token`, session)));
    const hits = await loadFor(durationMs, (client) => post(`${service.url}/v1/token`, hitSessions[client]!));

    const missSessions = await Promise.all(Array.from({ length: missCount }, (_, index) => issuer.sessionToken(`fresh-${index}`)));
    const misses = await loadCount(missSessions.length, (request) => post(`${service.url}/v1/token`, missSessions[request]!));

    const bundle = await measureLambdaBundle(options.quick ? 3 : 10);
    const bareName = 'bare Hono JSON handler';
    return [
      benchResult('token service: cache hits', hits.requestsPerSecond, 'req/s', bareName, baseline.requestsPerSecond),
      benchResult('token service: cache hits p50', hits.p50Ms, 'ms', bareName, baseline.p50Ms),
      benchResult('token service: cache hits p99', hits.p99Ms, 'ms', bareName, baseline.p99Ms),
      benchResult('token service: misses (local Cognito)', misses.requestsPerSecond, 'req/s', bareName, baseline.requestsPerSecond),
      benchResult('token service: misses p50', misses.p50Ms, 'ms', bareName, baseline.p50Ms),
      benchResult('token service: misses p99', misses.p99Ms, 'ms', bareName, baseline.p99Ms),
      benchResult('token service: Lambda bundle size', bundle.bytes / 1024, 'KiB', 'bare Hono Lambda bundle', bundle.bareBytes / 1024),
      benchResult('token service: Lambda bundle import', bundle.importMs, 'ms', 'node -e 0', bundle.nodeStartMs),
    ];
  } finally {
    await Promise.all([service.close(), bare.close()]);
    await Promise.all([cognito.close(), issuer.close()]);
  }
}

async function post(url: string, session?: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: session === undefined ? {} : { authorization: `Bearer ${session}` } });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
}

/** CONCURRENCY clients sending requests back to back for `durationMs`. */
async function loadFor(durationMs: number, request: (client: number) => Promise<void>): Promise<LoadFigures> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, client) => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        await request(client);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  return figures(latencies, performance.now() - started);
}

/** `count` requests, shared out to CONCURRENCY clients. */
async function loadCount(count: number, request: (index: number) => Promise<void>): Promise<LoadFigures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        const sent = performance.now();
        await request(index);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  return figures(latencies, performance.now() - started);
}

function figures(latencies: number[], elapsedMs: number): LoadFigures {
  const sorted = [...latencies].sort((left, right) => left - right);
  return { requestsPerSecond: (latencies.length / elapsedMs) * 1000, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

/** The baseline: what the same server stack costs with no work behind it. */
async function startBareHono(): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Hono();
  app.post('/v1/token', (c) => c.json({ identityId: 'us-east-1:00000000-0000-4000-8000-000000000000', token: 'x'.repeat(900), expiresAt: '2030-01-01T00:00:00.000Z' }));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

async function measureLambdaBundle(runs: number): Promise<{ bytes: number; bareBytes: number; importMs: number; nodeStartMs: number }> {
  const bundle = await bundleLambdaHandler();
  try {
    const { build } = await import('esbuild');
    const bare = await build({
      stdin: { contents: "import { Hono } from 'hono'; import { handle } from 'hono/aws-lambda'; const app = new Hono(); app.get('/', (c) => c.json({ ok: true })); export const handler = handle(app);", resolveDir: process.cwd(), loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const importUrl = pathToFileURL(bundle.path).href;
    return {
      bytes: (await stat(bundle.path)).size,
      bareBytes: bare.outputFiles[0]!.contents.byteLength,
      importMs: await medianRunMs(['--input-type=module', '-e', `await import(${JSON.stringify(importUrl)})`], runs),
      nodeStartMs: await medianRunMs(['-e', '0'], runs),
    };
  } finally {
    await rm(dirname(bundle.path), { recursive: true, force: true });
  }
}

async function medianRunMs(nodeArguments: string[], runs: number): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now();
    await run(process.execPath, nodeArguments);
    times.push(performance.now() - started);
  }
  return percentile(times.sort((left, right) => left - right), 0.5);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { formatBenchTable } = await import('./run.ts');
  const results = await runTokenServiceBenchmark({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${formatBenchTable(results)}\n`);
}
