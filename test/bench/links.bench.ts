import { generateKeyPairSync } from 'node:crypto';
import { defaultAccessRules } from '../../infra/access-rules/default-access-rules.ts';
import { CdnSigner } from '../../token-service/delivery/cdn-signer.ts';
import { startLocalCognito, startTestIssuer, startTokenService } from '../integration/token-service/token-service-fixture.ts';
import { benchResult, percentile, type BenchOptions, type BenchResult } from './bench-result.ts';

const CONCURRENCY = 32;

/**
 * CDN links: signatures per second in-process (the SDK's RSA-SHA256 signer, what every link and
 * cookie set costs), and `POST /v1/links` and `/v1/links/cookies` over HTTP at 32 concurrent
 * clients (session check, cached identity, the access rules' decision, signing), each next to the
 * token service's own cached `POST /v1/token` path on the same server in the same run.
 */
export async function runLinksBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const durationMs = options.quick ? 500 : 5000;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const signer = new CdnSigner('KBENCHLINKS0001', { pem: privateKeyPem });
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const urlsSigned = await rateFor(durationMs, (index) => signer.signUrl(`https://cdn.example/users/us-east-1%3A00000000-0000-4000-8000-000000000000/photo-${index}.jpg`, expiresAt));
  const cookiesSigned = await rateFor(durationMs, () => signer.signCookies('https://cdn.example/protected/*/*', expiresAt));

  const [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  const service = await startTokenService(cognito, issuer, {
    rateLimit: { ratePerSecond: 1e9, burst: 1e9 },
    logSink: () => undefined,
    delivery: { cdnUrl: 'https://cdn.example', keyPairId: 'KBENCHLINKS0001', privateKeyPem, bucket: 'bench-bucket', accessRules: defaultAccessRules({ allowGuests: true }) },
  });
  try {
    const sessions = await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => issuer.sessionToken(`bench-${index}`, { tenant: 'acme' })));
    // Every user's identity is cached first: the figures are the steady state, not Cognito's.
    await Promise.all(sessions.map((session) => post(`${service.url}/v1/token`, session, undefined)));
    const tokens = await loadFor(durationMs, (client) => post(`${service.url}/v1/token`, sessions[client]!, undefined));
    const links = await loadFor(durationMs, (client, index) => post(`${service.url}/v1/links`, sessions[client]!, { location: 'private', key: `photos/${index}.jpg`, expiresInSeconds: 86_400 }));
    const cookies = await loadFor(durationMs, (client) => post(`${service.url}/v1/links/cookies`, sessions[client]!, {}));
    const cachedToken = 'POST /v1/token, cached (same server)';
    return [
      benchResult('links: URLs signed in-process', urlsSigned, 'op/s', cachedToken, tokens.requestsPerSecond),
      benchResult('links: cookie sets signed in-process', cookiesSigned, 'op/s', 'URLs signed in-process', urlsSigned),
      benchResult('links: POST /v1/links', links.requestsPerSecond, 'req/s', cachedToken, tokens.requestsPerSecond),
      benchResult('links: POST /v1/links p50', links.p50Ms, 'ms', cachedToken, tokens.p50Ms),
      benchResult('links: POST /v1/links p99', links.p99Ms, 'ms', cachedToken, tokens.p99Ms),
      benchResult('links: POST /v1/links/cookies (5 sets)', cookies.requestsPerSecond, 'req/s', cachedToken, tokens.requestsPerSecond),
    ];
  } finally {
    await service.close();
    await Promise.all([cognito.close(), issuer.close()]);
  }
}

/** Operations per second of `operation`, one after another, for about `durationMs`. */
async function rateFor(durationMs: number, operation: (index: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < durationMs) await operation(count++);
  return (count / (performance.now() - started)) * 1000;
}

async function post(url: string, session: string, body: object | undefined): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${session}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
}

/** CONCURRENCY clients sending requests back to back for `durationMs`; `index` counts every request sent. */
async function loadFor(durationMs: number, request: (client: number, index: number) => Promise<void>): Promise<{ requestsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, client) => {
      while (performance.now() < deadline) {
        const at = performance.now();
        await request(client, sent++);
        latencies.push(performance.now() - at);
      }
    }),
  );
  const sorted = latencies.sort((left, right) => left - right);
  return { requestsPerSecond: (latencies.length / (performance.now() - started)) * 1000, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}
