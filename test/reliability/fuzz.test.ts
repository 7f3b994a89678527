import { createHash, createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl as getSignedCdnUrl } from '@aws-sdk/cloudfront-signer';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ScopedStorageClient } from '../../app/library/index.ts';
import { createNodeStorageClient } from '../../app/library/node/create-node-storage-client.ts';
import type { AccessRule } from '../../infra/access-rules/access-rule.ts';
import { startMainJob, type RunningMainJob } from '../../infra/local/main-job.ts';
import { createTokenServiceCognitoClient } from '../../infra/local/token-service-cognito-client.ts';
import { startTokenServiceServer } from '../../token-service/adapters/node-server.ts';
import { createDevelopmentAuthenticator } from '../../token-service/authenticators/development-authenticator.ts';
import { developmentSession } from '../bench/bench-processes.ts';
import { SeededRandom, presignQuery, queryString, sendRaw, signRequest, sleep, temporaryFilesUnder, type RawRequest } from './reliability-helpers.ts';

/** Per server: stop at whichever comes first. */
const MAX_REQUESTS = 3000;
const BUDGET_MS = 18_000;
const CONCURRENCY = 8;
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
/** The local cloud's client idle timeout in this suite, so stalled bodies are settled in seconds. */
const CLOUD_IDLE_SECONDS = 1;
/** The token service's route that takes a user id from a signed-in caller. */
const IDENTITY_LOOKUP_PATH = '/v1/identities/lookup';
/** The token service and the page answer 408 to a request not whole after 10 s (checked every second). */
const SMALL_SERVER_REQUEST_TIMEOUT_MS = 10_000;

interface FuzzCase {
  /** What was sent, for the report of a failure. */
  label: string;
  /** For the printed breakdown: which family of damage. */
  category?: string;
  request?: RawRequest;
  /** Raw bytes on a plain TCP connection instead (HTTP-level garbage). */
  rawBytes?: Buffer;
}

interface FuzzReport {
  server: string;
  sent: number;
  statuses: Map<number, number>;
  cut: number;
  noAnswer: number;
  /** Cases node:http itself refuses to send (invalid header characters). */
  unsendable: number;
  serverErrors: string[];
  /** 501 NotImplemented: S3's own answer for a feature the local cloud documents as not implemented (after authentication). */
  notImplemented: number;
  /** Statuses per category. */
  byCategory: Map<string, Map<number | string, number>>;
}

/** Percent-encodes a key segment by its UTF-8 bytes (lone surrogates become U+FFFD, as a client would send). */
function encodeSegment(segment: string): string {
  return [...Buffer.from(segment, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

async function sendRawBytes(port: number, bytes: Buffer): Promise<number | 'no-answer'> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let answer = '';
    const done = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      resolve(status ? Number(status) : 'no-answer');
    };
    socket.setTimeout(3000, done);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (/\r\n\r\n/.test(answer)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes, () => setTimeout(() => socket.end(), 20));
  });
}

/** Raw bytes on a plain TCP connection; the first answer's status and, from its JSON body, the error code. */
async function sendRawAndRead(port: number, bytes: Buffer): Promise<{ status: number; code?: string } | 'no-answer'> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let answer = Buffer.alloc(0);
    let settled = false;
    const settle = (result: { status: number; code?: string } | 'no-answer') => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    /** The answer once its head and as many body bytes as its Content-Length have arrived. */
    const parsed = () => {
      const text = answer.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      if (headEnd < 0 || status === undefined) return undefined;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
      const body = answer.subarray(headEnd + 4);
      if (body.length < length) return undefined;
      let code: string | undefined;
      try {
        code = (JSON.parse(body.subarray(0, length).toString('utf8')) as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      return { status: Number(status), ...(code === undefined ? {} : { code }) };
    };
    socket.setTimeout(SMALL_SERVER_REQUEST_TIMEOUT_MS + 5_000, () => settle(parsed() ?? 'no-answer'));
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      const result = parsed();
      if (result) settle(result);
    });
    // The server may close as soon as it has answered, while the rest of a refused body is still being written.
    socket.on('error', () => settle(parsed() ?? 'no-answer'));
    socket.on('close', () => settle(parsed() ?? 'no-answer'));
    socket.write(bytes);
  });
}

/** Sends generated cases, `CONCURRENCY` at a time, until the budget runs out; every 5xx is recorded with what caused it. */
/**
 * Sends `request` (headers and part of a declared body), then nothing: the answer's status, or
 * `closed` when the server closes without one, or `held` when it still holds the connection a
 * while after the small servers' request timeout.
 */
async function stallAfter(port: number, request: string): Promise<number | 'closed' | 'held'> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let answer = '';
    const holdLimit = setTimeout(() => {
      socket.destroy();
      resolve('held');
    }, SMALL_SERVER_REQUEST_TIMEOUT_MS + 5_000);
    const done = () => {
      clearTimeout(holdLimit);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      resolve(match ? Number(match) : 'closed');
    };
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request);
  });
}

async function fuzz(server: string, port: number, generate: (random: SeededRandom) => Promise<FuzzCase>): Promise<FuzzReport> {
  const random = new SeededRandom(SEED + server.length * 7919);
  const report: FuzzReport = { server, sent: 0, statuses: new Map(), cut: 0, noAnswer: 0, unsendable: 0, serverErrors: [], notImplemented: 0, byCategory: new Map() };
  const deadline = Date.now() + BUDGET_MS;
  const worker = async () => {
    while (report.sent < MAX_REQUESTS && Date.now() < deadline) {
      report.sent += 1;
      const fuzzCase = await generate(random);
      if (fuzzCase.rawBytes) {
        const status = await sendRawBytes(port, fuzzCase.rawBytes);
        if (status === 'no-answer') report.noAnswer += 1;
        else {
          report.statuses.set(status, (report.statuses.get(status) ?? 0) + 1);
          if (status >= 500) report.serverErrors.push(`${status} for raw bytes: ${fuzzCase.label}`);
        }
        continue;
      }
      const answer = await sendRaw({ ...fuzzCase.request!, timeoutMs: 10_000 }).catch((error: Error) => error);
      if (fuzzCase.category) {
        const tally = report.byCategory.get(fuzzCase.category) ?? new Map<number | string, number>();
        const outcome = answer instanceof Error ? 'error' : typeof answer === 'string' ? answer : answer.status;
        tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
        report.byCategory.set(fuzzCase.category, tally);
      }
      if (answer instanceof Error && /^ERR_(INVALID|HTTP_INVALID|UNESCAPED)/.test((answer as NodeJS.ErrnoException).code ?? '')) {
        report.unsendable += 1;
      } else if (answer instanceof Error) {
        report.serverErrors.push(`no answer in time: ${fuzzCase.label}: ${answer.message}`);
      } else if (answer === 'cut') report.cut += 1;
      else if (answer === 'no-answer') {
        report.noAnswer += 1;
        if (report.noAnswer <= 3) console.log(`[fuzz suite]   ${server} closed without an answer: ${fuzzCase.label.slice(0, 160)}`);
      } else {
        report.statuses.set(answer.status, (report.statuses.get(answer.status) ?? 0) + 1);
        const notImplemented = answer.status === 501 && (answer.body.includes('<Code>NotImplemented</Code>') || (fuzzCase.request!.method === 'HEAD' && answer.body === ''));
        if (notImplemented) report.notImplemented += 1;
        else if (answer.status >= 500) report.serverErrors.push(`${answer.status} ${answer.body.slice(0, 300)} <- ${fuzzCase.label}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const statuses = [...report.statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ');
  console.log(`[fuzz suite] ${server}: requests ${report.sent}, 5xx other than NotImplemented ${report.serverErrors.length}, NotImplemented ${report.notImplemented}, statuses {${statuses}}, client-cut ${report.cut}, closed without answer ${report.noAnswer}, unsendable ${report.unsendable} (seed ${SEED})`);
  for (const [category, tally] of report.byCategory) {
    console.log(`[fuzz suite]   ${server} ${category}: ${[...tally].map(([outcome, count]) => `${outcome}:${count}`).join(' ')}`);
  }
  return report;
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'BREW'];

/** JSON-ish bodies: broken, wrongly typed, hostile. */
function hostileJson(random: SeededRandom, valid: () => Record<string, unknown>): string {
  const base = valid();
  switch (random.int(12)) {
    case 0:
      return JSON.stringify(base).slice(0, random.int(JSON.stringify(base).length));
    case 1:
      return random.bytes(random.int(200)).toString('latin1');
    case 2:
      return random.pick(['', 'null', '[]', '"text"', '123', 'true', '{', '}', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '\ufeff{}', 'NaN']);
    case 3: {
      const depth = random.pick([100, 5000, 200_000]);
      return '['.repeat(depth) + ']'.repeat(depth);
    }
    case 4:
      return `{"constructor":{"prototype":{"polluted":true}},"__proto__":{"polluted":true},${JSON.stringify(base).slice(1)}`;
    case 5:
      return `{"__proto__":{"isAdmin":true},${JSON.stringify(base).slice(1)}`;
    default: {
      const field = random.pick(Object.keys(base).length ? Object.keys(base) : ['x']);
      const values: unknown[] = [null, 0, -1, 1.5, 1e308, -1e308, '', ' ', random.text(random.int(40)), 'x'.repeat(random.pick([129, 5000, 70_000])), [], {}, [1, 2], { a: { b: { c: 1 } } }, true, '\u0000', '%00', '../../etc/passwd', 'us-east-1:not-a-uuid'];
      return JSON.stringify({ ...base, [field]: random.pick(values), ...(random.chance(0.3) ? { [random.text(8)]: random.text(8) } : {}) });
    }
  }
}

describe('fuzz: malformed requests against every server', () => {
  let stateDirectory: string;
  let job: RunningMainJob;
  let alice: ScopedStorageClient;
  let aliceCredentials: AwsCredentialIdentity;
  let alicePrefix: string;
  let aliceSession: string;
  let uploadId: string;
  let bucket: string;
  let cloudHttp: string;

  /** What the local cloud reports as internal errors (it logs them; a client that went away is not one). */
  const internalErrors: string[] = [];

  beforeAll(async () => {
    const consoleError = console.error.bind(console);
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('internal error')) internalErrors.push(`${args[0]} ${String(args[1])}`);
      consoleError(...args);
    });
    stateDirectory = await mkdtemp(join(tmpdir(), 'reliability-fuzz-'));
    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory, clientIdleTimeoutSeconds: CLOUD_IDLE_SECONDS }, tokenServiceLog: false });
    cloudHttp = `http://127.0.0.1:${job.cloud.port}`;
    bucket = job.cloud.outputs.bucket;
    aliceSession = await developmentSession(job.tokenService.url, 'alice', 'acme');
    alice = await createNodeStorageClient(job.cloud.outputsPath, { getSessionToken: () => aliceSession });
    aliceCredentials = await alice.credentials.get();
    alicePrefix = (await alice.whoami()).prefix;
    await alice.upload('existing.txt', 'an object that exists');
    const created = await alice.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${alicePrefix}fuzz-upload.bin` }));
    uploadId = created.UploadId!;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await job?.close();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  /** After each run: the cloud still serves a real client, and objects written before are intact. */
  const expectCloudHealthy = async () => {
    const body = `healthy ${Date.now()}`;
    await alice.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${alicePrefix}health.txt`, Body: body }));
    expect(await (await alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${alicePrefix}health.txt` }))).Body!.transformToString()).toBe(body);
    expect(await (await alice.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${alicePrefix}existing.txt` }))).Body!.transformToString()).toBe('an object that exists');
  };

  it('Cognito Identity: broken JSON, wrong types, bad targets and signatures: no 5xx, still serving', { timeout: 90_000 }, async () => {
    const operations = ['GetId', 'GetCredentialsForIdentity', 'GetOpenIdToken', 'GetOpenIdTokenForDeveloperIdentity', 'LookupDeveloperIdentity', 'MergeDeveloperIdentities', 'UnlinkDeveloperIdentity', 'DeleteIdentities', 'DescribeIdentity'];
    const poolId = job.cloud.outputs.identityPoolId;
    const issued = job.cloud.tokenServiceCredentials!;
    const developer = { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
    const validInput = (operation: string): Record<string, unknown> => {
      switch (operation) {
        case 'GetId':
          return { IdentityPoolId: poolId };
        case 'GetCredentialsForIdentity':
        case 'GetOpenIdToken':
          return { IdentityId: alicePrefix.split('/')[1], Logins: { 'cognito-identity.amazonaws.com': 'eyJhbGciOiJub25lIn0.e30.' } };
        case 'GetOpenIdTokenForDeveloperIdentity':
          return { IdentityPoolId: poolId, Logins: { [job.cloud.outputs.developerProviderName]: 'fuzz-user' }, PrincipalTags: { tenant: 'acme' }, TokenDuration: 60 };
        case 'LookupDeveloperIdentity':
          return { IdentityPoolId: poolId, DeveloperUserIdentifier: 'alice', MaxResults: 10 };
        case 'MergeDeveloperIdentities':
          return { IdentityPoolId: poolId, DeveloperProviderName: job.cloud.outputs.developerProviderName, SourceUserIdentifier: 'fuzz-a', DestinationUserIdentifier: 'fuzz-b' };
        case 'UnlinkDeveloperIdentity':
          return { IdentityPoolId: poolId, IdentityId: alicePrefix.split('/')[1], DeveloperProviderName: job.cloud.outputs.developerProviderName, DeveloperUserIdentifier: 'nobody' };
        case 'DeleteIdentities':
          return { IdentityIdsToDelete: [`us-east-1:${'0'.repeat(8)}-0000-0000-0000-000000000000`] };
        default:
          return { IdentityId: alicePrefix.split('/')[1] };
      }
    };
    const report = await fuzz('cognito', job.cloud.port, async (random) => {
      const operation = random.pick(operations);
      const target = random.chance(0.85)
        ? `AWSCognitoIdentityService.${random.chance(0.9) ? operation : random.pick(['', 'Nope', operation.toLowerCase(), `${operation}\u0000`, random.text(20)])}`
        : random.pick(['AWSCognitoIdentityService', 'awscognitoidentityservice.getid', `AWSCognitoIdentityService.${'A'.repeat(5000)}`, random.text(30)]);
      const body = random.chance(0.15) ? JSON.stringify(validInput(operation)) : hostileJson(random, () => validInput(operation));
      const headers: Record<string, string> = {
        'x-amz-target': target.split('\r').join('').split('\n').join('').split('\u0000').join(''),
        'content-type': random.pick(['application/x-amz-json-1.1', 'application/x-amz-json-1.1', 'application/json', 'text/plain', 'application/x-amz-json-1.0; charset=utf-8', '']),
      };
      const method = random.chance(0.9) ? 'POST' : random.pick(METHODS);
      const path = random.chance(0.92) ? '/' : random.pick(['/.well-known/jwks.json', '/.well-known/', '/.well-known/../x', '/.well-known/jwks.json?x=%zz', '/.well-known/%00']);
      let finalHeaders: Record<string, string> | string[] = headers;
      if (random.chance(0.5)) {
        // Developer calls are signed; a third of them with a broken signature.
        const signed = await signRequest(developer, { endpoint: cloudHttp, service: 'cognito-identity', region: 'us-east-1', method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body, 'latin1')) } });
        if (random.chance(0.33)) {
          const authorization = signed.authorization ?? '';
          signed.authorization = random.pick([authorization.slice(0, random.int(authorization.length)), authorization.replace('Signature=', 'Signature=0'), authorization.replace('Credential=', 'Credential=AKIA/'), `${authorization}, ${authorization}`, 'AWS4-HMAC-SHA256']);
        }
        if (random.chance(0.1)) {
          finalHeaders = Object.entries(signed).flatMap(([name, value]) => [name, value]);
          finalHeaders.push('x-amz-date', random.pick(['garbage', '20200101T000000Z', '']), 'authorization', 'AWS4-HMAC-SHA256 Credential=x');
        } else finalHeaders = signed;
      }
      const cut = random.chance(0.05);
      return {
        category: `${body.length > 64 * 1024 ? 'body over 64 KiB' : 'body up to 64 KiB'}, ${Array.isArray(finalHeaders) ? 'duplicated headers' : finalHeaders.authorization ? 'signed' : 'unsigned'}${cut ? ', cut' : ''}`,
        label: `${method} ${path} ${target.slice(0, 80)} ${JSON.stringify(body.slice(0, 200))}`,
        request: { url: cloudHttp, method, path, headers: finalHeaders, body: Buffer.from(body, 'latin1'), ...(cut ? { cutAfterBytes: random.int(body.length) } : {}) },
      };
    });
    expect(report.serverErrors.slice(0, 10)).toEqual([]);
    expect(internalErrors.splice(0).slice(0, 5)).toEqual([]);
    expect(report.sent).toBeGreaterThan(500);
    // Still serving Cognito.
    const answer = await sendRaw({ url: cloudHttp, method: 'POST', path: '/', headers: { 'x-amz-target': 'AWSCognitoIdentityService.GetId', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ IdentityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' }) });
    expect(answer).toMatchObject({ status: 400 });
    await expectCloudHealthy();
  });

  it('S3: hostile keys, broken XML, bad SigV4, absurd headers, truncated bodies, random methods: no 5xx, still serving', { timeout: 90_000 }, async () => {
    const region = job.cloud.outputs.region;
    const ownKey = () => `${alicePrefix}fuzz/`;
    const hostileKeys = (random: SeededRandom): string[] => {
      const self = alicePrefix.split('/')[1]!;
      return [
        `${ownKey()}${random.text(1 + random.int(30))}`,
        `${ownKey()}..`,
        `${ownKey()}../../etc/passwd`,
        `users/${self}/../${'other'}/x`,
        `${ownKey()}${'a'.repeat(random.pick([1024, 1025, 4000]))}`,
        `${ownKey()}\u4e2d\u6587/\ud83d\ude00`,
        `${ownKey()}%00`,
        `${ownKey()}a\u0000b`,
        `${ownKey()}./././`,
        `${ownKey()}/`,
        `${ownKey()}${'/'.repeat(50)}`,
        `${ownKey()}\\..\\..\\x`,
        '',
        '..',
        random.text(20),
      ];
    };
    const rawPathVariants = (random: SeededRandom, encoded: string) =>
      random.pick([encoded, encoded.replace(/%2F/gi, '/'), `${encoded}%zz`, `${encoded}%`, `${encoded}%2`, `${encoded}%2F..%2F..%2Fx`, `${encoded}/%2e%2e/%2e%2e/x`, `${encoded}%C0%AE%C0%AE`, `${encoded}%ED%A0%80`, `${encoded}?`, `${encoded}#frag`]);
    const deleteXml = (random: SeededRandom) => {
      const valid = `<Delete><Object><Key>${ownKey()}a</Key></Object><Quiet>true</Quiet></Delete>`;
      return random.pick([
        valid.slice(0, random.int(valid.length)),
        `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "${'x'.repeat(100)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>`,
        `<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>`,
        `<Delete>${'<Object><Key>k</Key></Object>'.repeat(random.pick([1001, 1500]))}</Delete>`,
        `<Delete><Object><Key></Key></Object></Delete>`,
        `<Delete><Object></Object></Delete>`,
        `<Delete><Object><Key>a</Key><VersionId>${random.text(10)}</VersionId></Object></Delete>`,
        `<Delete><Quiet>maybe</Quiet></Delete>`,
        `<Nope/>`,
        `${'<a>'.repeat(random.pick([100, 10_000]))}`,
        `<Delete><Object><Key>${random.text(30).replace(/[<>&]/g, '')}</Key></Object></Delete>`,
        random.bytes(random.int(300)).toString('latin1'),
        '',
        valid.replace('<Key>', '<Key><Key>'),
        `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>${ownKey()}x</Key></Object></Delete>`,
      ]);
    };
    const completeXml = (random: SeededRandom) => {
      const valid = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>';
      return random.pick([
        valid.slice(0, random.int(valid.length)),
        valid.replace('1</PartNumber>', `${random.pick(['0', '-1', '10001', 'x', '1e9', '99999999999999999999', ''])}</PartNumber>`),
        '<CompleteMultipartUpload></CompleteMultipartUpload>',
        `<CompleteMultipartUpload>${'<Part><PartNumber>2</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>"b"</ETag></Part>'.repeat(random.pick([1, 600]))}</CompleteMultipartUpload>`,
        '<CompleteMultipartUpload><Part><ETag>"a"</ETag></Part></CompleteMultipartUpload>',
        '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
        '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumCRC32>!!!</ChecksumCRC32></Part></CompleteMultipartUpload>',
        `<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&c;</ETag></Part></CompleteMultipartUpload>`,
        random.bytes(random.int(300)).toString('latin1'),
        '',
      ]);
    };
    const absurdHeaders = (random: SeededRandom): Record<string, string> =>
      random.pick<Record<string, string>>([
        { range: random.pick(['bytes=', 'bytes=-', 'bytes=5-1', 'bytes=0-0,1-1', 'bytes=99999999999999999999-', 'items=0-1', 'bytes=-0', `bytes=${'1'.repeat(400)}-`]) },
        { 'if-match': random.pick(['', '*', '"x"', random.text(20).replace(/[^\x20-\x7e]/g, '')]) },
        { 'if-modified-since': random.pick(['not a date', '', 'Thu, 01 Jan 1970 00:00:00 GMT', '9999999999']) },
        { 'x-amz-copy-source': random.pick(['', '/', `${bucket}`, `${bucket}/`, `/${bucket}/../../etc/passwd`, `${bucket}/${'users/x/%zz'}`, `${bucket}/k?versionId=${'v'.repeat(50)}`, 'other-bucket/x', '%']) },
        { 'x-amz-copy-source-range': random.pick(['bytes=0-', 'bytes=a-b', 'garbage']) },
        { 'x-amz-metadata-directive': random.pick(['REPLACE', 'NOPE', '']) },
        { 'x-amz-meta-big': 'm'.repeat(random.pick([100, 2100, 8000])) },
        { 'x-amz-server-side-encryption': random.pick(['aws:kms', 'AES256', 'none', '']) },
        { 'x-amz-checksum-crc32': random.pick(['', '!!!', 'AAAAAA==', 'AAAAAAAAAAAAAAAA']) },
        { 'x-amz-checksum-sha256': random.pick(['', 'abc', '=']), 'x-amz-sdk-checksum-algorithm': random.pick(['SHA256', 'MD6', '']) },
        { 'content-md5': random.pick(['', 'abc', '1B2M2Y8AsgTpgAmY7PhCfg==', '====']) },
        { 'content-type': random.text(30).replace(/[^\x20-\x7e]/g, '') },
        { expect: random.pick(['100-continue', 'nonsense']) },
        { 'x-amz-tagging': random.pick(['a=b', '&&&', '=']) },
        { 'x-amz-acl': random.pick(['public-read', 'bucket-owner-full-control', 'nope']) },
        { 'if-none-match': random.pick(['*', '', '"x"', '*,*']) },
        { 'x-amz-decoded-content-length': random.pick(['-1', 'abc', '99999999999999999999']) },
        { 'content-encoding': random.pick(['aws-chunked', 'gzip', 'aws-chunked,gzip', '']) },
      ]);
    const queryGarbage = (random: SeededRandom): Record<string, string> =>
      random.pick<Record<string, string>>([
        { 'list-type': '2', prefix: random.pick([ownKey(), '', random.text(10)]), 'max-keys': random.pick(['-1', 'abc', '0', '99999999999999999999', '1.5']) },
        { 'list-type': '2', prefix: ownKey(), 'continuation-token': random.pick(['', '!!!', random.text(20), 'eyJ4IjoxfQ==']) },
        { 'list-type': '2', prefix: ownKey(), 'start-after': random.text(20), delimiter: random.pick(['', '/', '%', random.text(3)]), 'encoding-type': random.pick(['url', 'nope']) },
        { 'list-type': random.pick(['1', '3', '', 'x']) },
        { uploads: '', prefix: ownKey(), 'max-uploads': random.pick(['-5', 'x', '100000']) },
        { partNumber: random.pick(['0', '10001', '-1', 'x', '1.5', '', '99999999999999999999']), uploadId: random.pick([uploadId, '', 'nope', random.text(20)]) },
        { uploadId: random.pick([uploadId, '', 'x'.repeat(5000)]), 'max-parts': random.pick(['-1', 'x']), 'part-number-marker': random.pick(['x', '-1']) },
        { delete: '' },
        { acl: '' },
        { tagging: '' },
        { versioning: '' },
        { location: '' },
        { versionId: random.text(10) },
        { 'x-id': random.pick(['GetObject', 'PutObject', 'Nope']) },
        { 'response-content-type': random.text(20), 'response-content-disposition': random.text(20) },
      ]);

    const report = await fuzz('s3', job.cloud.port, async (random) => {
      const kind = random.int(12);
      const key = random.pick(hostileKeys(random));
      const encodedKey = key.split('/').map(encodeSegment).join('/');
      let method = random.pick(['GET', 'PUT', 'HEAD', 'DELETE', 'POST']);
      let path = `/${bucket}${key === '' && random.chance(0.5) ? '' : `/${encodedKey}`}`;
      let query: Record<string, string> = {};
      let headers: Record<string, string> = {};
      let body: Buffer | undefined;
      let label = `kind ${kind}`;
      switch (kind) {
        case 0: {
          // Unsigned, random method and path.
          method = random.pick(METHODS);
          path = random.pick([path, '/', `/${random.text(10)}`, `/${bucket}/${random.text(40)}`, `//${bucket}//x`, `/${'a'.repeat(9000)}`, '*', '/%', `/${bucket}?${random.text(10)}`].map((candidate) => candidate.replace(/[^\x21-\x7e]/g, (char) => encodeSegment(char))));
          const answer: FuzzCase = { category: 'unsigned, random method and path', label: `unsigned ${method} ${path.slice(0, 200)}`, request: { url: cloudHttp, method, path, headers: { host: `127.0.0.1:${job.cloud.port}` } } };
          return answer;
        }
        case 1:
          // Hostile keys, signed: read, write, delete.
          body = method === 'PUT' ? Buffer.from(random.text(random.int(100))) : undefined;
          break;
        case 2:
          method = 'POST';
          path = `/${bucket}`;
          query = { delete: '' };
          body = Buffer.from(deleteXml(random), 'latin1');
          if (random.chance(0.7)) headers['content-md5'] = createHash('md5').update(body).digest('base64');
          break;
        case 3:
          method = 'POST';
          path = `/${bucket}/${encodeSegment(alicePrefix.slice(0, -1))}/fuzz-upload.bin`;
          query = { uploadId: random.chance(0.7) ? uploadId : random.pick(['nope', '', random.text(10)]) };
          body = Buffer.from(completeXml(random), 'latin1');
          break;
        case 4:
          headers = absurdHeaders(random);
          body = method === 'PUT' ? Buffer.from('absurd') : undefined;
          break;
        case 5:
          query = queryGarbage(random);
          method = random.pick(['GET', 'GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
          path = random.chance(0.5) ? `/${bucket}` : path;
          body = method === 'PUT' || method === 'POST' ? Buffer.from(random.text(20)) : undefined;
          break;
        case 6: {
          // Pre-signed URLs, then mutated.
          const signedQuery = await presignQuery(aliceCredentials, { endpoint: cloudHttp, region, method: 'GET', path: `/${bucket}/${alicePrefix.split('/').map(encodeSegment).join('/')}existing.txt`, expiresIn: 60 });
          const name = random.pick(Object.keys(signedQuery));
          const mutated = { ...signedQuery, [name]: random.pick(['', '-1', '0', '999999999', 'x', (signedQuery[name] ?? '').slice(0, random.int(40)), random.text(10)]) };
          const text = random.chance(0.2) ? `${queryString(signedQuery)}&${queryString({ [name]: mutated[name] ?? '' })}` : queryString(mutated);
          path = `/${bucket}/${alicePrefix.split('/').map(encodeSegment).join('/')}existing.txt?${text}`;
          return { category: 'pre-signed query mutated', label: `presigned GET with ${name} mutated`, request: { url: cloudHttp, method: random.pick(['GET', 'GET', 'PUT', 'DELETE']), path, headers: { host: `127.0.0.1:${job.cloud.port}` } } };
        }
        case 7: {
          // aws-chunked bodies, signed chunks or not, garbled.
          method = 'PUT';
          path = `/${bucket}/${alicePrefix.split('/').map(encodeSegment).join('/')}fuzz/chunked.bin`;
          const mode = random.pick(['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'STREAMING-NOPE']);
          headers = { 'x-amz-content-sha256': mode, 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(random.pick([5, 0, 100, -1])) };
          if (random.chance(0.5)) headers['x-amz-trailer'] = random.pick(['x-amz-checksum-crc32', 'x-amz-checksum-nope', '']);
          body = Buffer.from(
            random.pick([
              '5\r\nhello\r\n0\r\n\r\n',
              '5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n',
              'zz\r\nhello\r\n0\r\n\r\n',
              '5\r\nhel',
              'FFFFFFFFFFFF\r\nhello\r\n',
              '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:!!!\r\n\r\n',
              '5\r\nhello0\r\n\r\n',
              '',
              random.bytes(60).toString('latin1'),
              `${'1\r\na\r\n'.repeat(2000)}0\r\n\r\n`,
            ]),
            'latin1',
          );
          break;
        }
        default:
          body = method === 'PUT' ? Buffer.from(random.text(random.int(50))) : undefined;
      }
      const sendPath = kind === 1 || kind === 4 ? rawPathVariants(random, path) : path;
      const payloadHeader: Record<string, string> = headers['x-amz-content-sha256'] ? {} : { 'x-amz-content-sha256': random.chance(0.9) ? 'UNSIGNED-PAYLOAD' : random.pick(['', 'xyz', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']) };
      const signed = await signRequest(aliceCredentials, {
        endpoint: cloudHttp,
        service: 's3',
        region,
        method,
        path: sendPath.split('?')[0]!.split('#')[0]!,
        query,
        headers: { ...headers, ...payloadHeader, ...(body ? { 'content-length': String(body.length) } : {}) },
      });
      let finalHeaders: Record<string, string> | string[] = signed;
      // SigV4 header damage: truncated, duplicated, stripped, re-scoped.
      if (kind >= 8) {
        const authorization = signed.authorization ?? '';
        const damage = random.int(9);
        const copy: Record<string, string> = { ...signed };
        label = `sigv4 damage ${damage}`;
        if (damage === 0) copy.authorization = authorization.slice(0, random.int(authorization.length));
        if (damage === 1) copy.authorization = authorization.replace(/Credential=[^/]+/, `Credential=${random.pick(['', 'AKIA', random.text(10).replace(/[^\x21-\x7e]/g, ''), 'ASIA0000000000000000'])}`);
        if (damage === 2) copy.authorization = authorization.replace(/\/\d{8}\//, `/${random.pick(['19700101', '99991231', 'abc', ''])}/`).replace('/us-east-1/', `/${random.pick(['eu-west-1', '', 'us-east-1/extra'])}/`);
        if (damage === 3) copy.authorization = authorization.replace(/SignedHeaders=[^,]+/, `SignedHeaders=${random.pick(['', 'host', 'host;nope', 'x-amz-date;host', ';;;'])}`);
        if (damage === 4) copy['x-amz-date'] = random.pick(['', 'yesterday', '20000101T000000Z', '99991231T235959Z', '2024-01-01T00:00:00Z']);
        if (damage === 5) copy['x-amz-security-token'] = random.pick(['', 'garbage', (copy['x-amz-security-token'] ?? '').slice(0, 20), 'x'.repeat(6000)]);
        if (damage === 6) {
          finalHeaders = Object.entries(copy).flatMap(([name, value]) => [name, value]);
          finalHeaders.push(random.pick(['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', 'host']), random.pick([authorization, 'AWS4-HMAC-SHA256 Credential=x', '20200101T000000Z', 'UNSIGNED-PAYLOAD', '']));
        } else if (damage === 7) {
          delete copy[random.pick(['x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', 'authorization'])];
        } else if (damage === 8) copy.authorization = random.pick(['AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 ', 'AWS AKIA:sig', 'Bearer x', `AWS4-HMAC-SHA256 ${'Credential=a/b/c/d/e, '.repeat(50)}`, `${authorization}, Signature=00`]);
        if (!Array.isArray(finalHeaders)) finalHeaders = copy;
      }
      const cut = body !== undefined && body.length > 1 && random.chance(0.06);
      const fullPath = Object.keys(query).length ? `${sendPath}?${queryString(query)}` : sendPath;
      return {
        category: kind >= 8 ? 'SigV4 headers damaged' : ['', 'hostile keys (signed)', 'DeleteObjects broken XML', 'CompleteMultipartUpload broken XML', 'absurd headers', 'query garbage', '', 'aws-chunked garbage'][kind],
        label: `${label}: ${method} ${fullPath.slice(0, 240)} headers ${JSON.stringify(headers).slice(0, 200)} body ${JSON.stringify(body?.toString('latin1').slice(0, 120))}`,
        request: { url: cloudHttp, method, path: fullPath, headers: finalHeaders, ...(body ? { body } : {}), ...(cut && body ? { cutAfterBytes: random.int(body.length) } : {}) },
      };
    });
    // HTTP-level garbage on the same port.
    const garbage = ['GET / HTTP/1.1\r\nHost: x\r\nX: \u0001\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', 'PUT /b/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n', '\u0016\u0003\u0001\u0000\u0005hello', 'NOTHTTP\r\n\r\n', `GET / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(3000)}\r\n`];
    const rawStatuses: (number | 'no-answer')[] = [];
    for (const text of garbage) rawStatuses.push(await sendRawBytes(job.cloud.port, Buffer.from(text, 'latin1')));
    console.log(`[fuzz suite] s3 port raw HTTP garbage: ${garbage.length} messages, answers ${JSON.stringify(rawStatuses)}`);
    expect(rawStatuses.filter((status) => typeof status === 'number' && status >= 500)).toEqual([]);
    expect(report.serverErrors.slice(0, 10)).toEqual([]);
    expect(internalErrors.splice(0).slice(0, 5)).toEqual([]);
    expect(report.sent).toBeGreaterThan(500);

    await expectCloudHealthy();
    // Cut connections leave no temporary files behind.
    let leftovers: string[] = [];
    for (let wait = 0; wait < 40; wait += 1) {
      leftovers = await temporaryFilesUnder(join(stateDirectory, 'data'));
      if (leftovers.length === 0) break;
      await sleep(50);
    }
    expect(leftovers).toEqual([]);
  });

  it('token service: broken sessions, bodies, methods and paths: no 5xx, still serving', { timeout: 90_000 }, async () => {
    const url = job.tokenService.url;
    const host = new URL(url).host;
    const report = await fuzz('token-service', Number(new URL(url).port), async (random) => {
      const route = random.pick(['/v1/token', '/v1/token', '/v1/identity', '/v1/dev/session', '/v1/dev/session', IDENTITY_LOOKUP_PATH, IDENTITY_LOOKUP_PATH, '/healthz', '/v1/admin/identities/alice', `/v1/admin/identities/${encodeSegment(random.text(10))}`]);
      const path = random.chance(0.8)
        ? route
        : random.pick([`${route}/`, `/${route}`, `${route}?${random.text(5).replace(/[^\x21-\x7e]/g, '')}`, `/%2e%2e${route}`, `${route}%00`, `/${'v'.repeat(5000)}`, '/', '*', `/v1/${encodeSegment(random.text(10))}`, `${route}/%zz`]);
      const method = random.chance(0.8) ? random.pick(route === '/healthz' || route.startsWith('/v1/admin') ? ['GET'] : route === '/v1/identity' ? ['DELETE'] : ['POST']) : random.pick(METHODS);
      // Lookups mostly come from fresh users, each with a full rate-limit bucket, so their bodies reach the parser instead of a 429.
      const sessionUser = route === IDENTITY_LOOKUP_PATH && random.chance(0.7) ? `fuzz-looker-${random.int(1_000_000)}` : 'fuzz-user';
      const validSession = random.chance(0.5) && sessionUser === 'fuzz-user' ? aliceSession : await developmentSession(url, sessionUser).catch(() => aliceSession);
      const authorization = route === IDENTITY_LOOKUP_PATH && random.chance(0.6) ? `Bearer ${validSession}` : random.pick([
        undefined,
        `Bearer ${validSession}`,
        `Bearer ${validSession.slice(0, random.int(validSession.length))}`,
        `Bearer ${validSession.replace(/.$/, (char) => (char === 'A' ? 'B' : 'A'))}`,
        `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.`,
        `Bearer ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: random.text(10), tenant: random.text(5) })).toString('base64url')}.sig`,
        'Bearer',
        'Bearer ',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer ${'x'.repeat(random.pick([100, 9000]))}`,
        random.text(20).replace(/[^\x20-\x7e]/g, ''),
      ]);
      const body =
        route === IDENTITY_LOOKUP_PATH
          ? random.chance(0.35)
            ? JSON.stringify({ userId: random.pick(['alice', 'alic', '*', '%', '', ' alice', 'ALICE', random.text(10), 'x'.repeat(1024), 'x'.repeat(1025), 'x'.repeat(20_000)]) })
            : hostileJson(random, () => ({ userId: random.pick(['alice', 'fuzz-user', random.text(6)]) }))
          : route === '/v1/dev/session'
          ? random.chance(0.3)
            ? JSON.stringify({ user: random.pick(['alice', random.text(10), 'x'.repeat(200), '', 'a b', 'ok-user']), tenant: random.pick([undefined, 'acme', '', random.text(8), 'x'.repeat(300), 'a/b']) })
            : hostileJson(random, () => ({ user: 'fuzz', tenant: 'acme' }))
          : random.chance(0.2)
            ? random.pick(['', '{}', 'x'.repeat(20_000)])
            : hostileJson(random, () => ({ guestIdentityId: `us-east-1:${'1'.repeat(8)}-1111-1111-1111-111111111111`, guestToken: `${Buffer.from('{"alg":"RS512","kid":"x"}').toString('base64url')}.e30.sig` }));
      const headers: string[] = ['host', host];
      if (authorization !== undefined) headers.push('authorization', authorization);
      if (random.chance(0.05) && authorization !== undefined) headers.push('authorization', `Bearer ${aliceSession}`);
      headers.push('content-type', random.pick(['application/json', 'application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']));
      if (random.chance(0.2)) headers.push('origin', random.pick(['http://localhost:5173', 'https://evil.example', 'null', random.text(10).replace(/[^\x20-\x7e]/g, '')]));
      const bytes = Buffer.from(body, 'latin1');
      headers.push('content-length', String(bytes.length));
      const cut = random.chance(0.05);
      return {
        ...(route === IDENTITY_LOOKUP_PATH ? { category: `identity lookup${path === route && method === 'POST' ? '' : ', other path or method'}${cut ? ', cut' : ''}` } : {}),
        label: `${method} ${path.slice(0, 120)} auth ${JSON.stringify(authorization?.slice(0, 40))} body ${JSON.stringify(body.slice(0, 200))}`,
        request: { url, method, path, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: bytes }), ...(cut ? { cutAfterBytes: random.int(bytes.length) } : {}) },
      };
    });
    expect(report.serverErrors.slice(0, 10)).toEqual([]);
    expect(internalErrors.splice(0).slice(0, 5)).toEqual([]);
    expect(report.sent).toBeGreaterThan(500);
    // Still serving: health, a sign-in and a token.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const session = await developmentSession(url, 'after-fuzz');
    const token = await fetch(`${url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: '{}' });
    expect(token.status).toBe(200);
    // The lookups got past authentication and the rate limit to the parser (400s) and to Cognito (200s or 404s).
    const lookups = report.byCategory.get('identity lookup') ?? new Map<number | string, number>();
    expect(lookups.get(400) ?? 0).toBeGreaterThan(0);
    expect((lookups.get(200) ?? 0) + (lookups.get(404) ?? 0)).toBeGreaterThan(0);
    // And the lookup still answers whole user ids only: a user who signed in is found, a prefix of their id is not.
    const lookUp = async (userId: string) => fetch(`${url}${IDENTITY_LOOKUP_PATH}`, { method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
    const found = await lookUp('after-fuzz');
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ userId: 'after-fuzz', identityId: ((await token.json()) as { identityId: string }).identityId });
    expect((await lookUp('after-fu')).status).toBe(404);
    await expectCloudHealthy();
  });
  it('token service links: hostile bodies on /v1/links and /v1/links/cookies (broken JSON, hostile keys, cut, lying lengths, stalled, huge, nested): no 5xx, still signing', { timeout: 120_000 }, async () => {
    // A token service with delivery on, over the same local cloud (the main job's may not sign links), so bodies reach the link parsers.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const linkService = await startTokenServiceServer({
      cognito: await createTokenServiceCognitoClient(job.cloud),
      identityPoolId: job.cloud.outputs.identityPoolId,
      developerProviderName: job.cloud.outputs.developerProviderName,
      authenticator: createDevelopmentAuthenticator({ secret: randomBytes(32) }),
      rateLimit: { ratePerSecond: 10_000, burst: 10_000 },
      logSink: () => undefined,
      delivery: {
        cdnUrl: 'https://cdn.fuzz.test',
        keyPairId: 'KFUZZLINKS0001',
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        bucket,
        accessRules: job.cloud.outputs.locations as AccessRule[],
      },
    });
    try {
      const url = linkService.url;
      const host = new URL(url).host;
      const port = Number(new URL(url).port);
      const sessions = await Promise.all(['link-fuzz-a', 'link-fuzz-b'].map((user, index) => developmentSession(url, user, index === 0 ? 'acme' : undefined)));
      const identity = ((await (await fetch(`${url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${sessions[0]}` } })).json()) as { identityId: string }).identityId;
      const report = await fuzz('token-service links', port, async (random) => {
        const route = random.pick(['/v1/links', '/v1/links', '/v1/links/cookies']);
        const session = random.pick(sessions);
        const authorization = random.chance(0.85) ? `Bearer ${session}` : random.pick([undefined, `Bearer ${session.slice(0, -3)}`, 'Bearer', `Bearer ${'x'.repeat(9000)}`]);
        const validLink = () => ({
          location: random.pick(['private', 'protected', 'shared', 'team', 'public', 'nowhere', '', 'PRIVATE', random.text(6)]),
          key: random.pick(['a.txt', `${identity}/a.txt`, `${identity}0/a.txt`, '../a', 'a/../../b', '/a', '', 'a\u0000b', 'x'.repeat(1100), `${'ü'.repeat(400)}`, '*', 'a?b#c', '%2e%2e/x', random.text(20)]),
          ...(random.chance(0.5) ? { expiresInSeconds: random.pick([1, 3600, 604_800, 604_801, 0, -1, 1.5, 1e308, '60']) } : {}),
          ...(random.chance(0.3) ? { disposition: random.pick(['inline', 'attachment', 'download', '']) } : {}),
          ...(random.chance(0.3) ? { fileName: random.pick(['a.pdf', '', 'x'.repeat(300), 'a\r\nSet-Cookie: x=y', random.text(12)]) } : {}),
        });
        const body = route === '/v1/links' ? (random.chance(0.4) ? JSON.stringify(validLink()) : hostileJson(random, validLink)) : random.chance(0.3) ? random.pick(['', '{}', JSON.stringify({ expiresInSeconds: random.pick([1, 600, 0, 'x']) })]) : hostileJson(random, () => ({ expiresInSeconds: 600 }));
        const headers: string[] = ['host', host];
        if (authorization !== undefined) headers.push('authorization', authorization);
        headers.push('content-type', random.pick(['application/json', 'application/json', 'application/json', 'text/plain', 'application/json; charset=utf-16']));
        if (random.chance(0.2)) headers.push('origin', random.pick(['http://localhost:5173', 'https://evil.example', 'null']));
        const bytes = Buffer.from(body, 'latin1');
        headers.push('content-length', String(bytes.length));
        const cut = random.chance(0.05);
        return {
          category: `${route}${cut ? ', cut' : ''}`,
          label: `POST ${route} auth ${JSON.stringify(authorization?.slice(0, 30))} body ${JSON.stringify(body.slice(0, 200))}`,
          request: { url, method: 'POST', path: route, headers, body: bytes, ...(cut ? { cutAfterBytes: random.int(bytes.length) } : {}) },
        };
      });
      expect(report.serverErrors.slice(0, 10)).toEqual([]);
      expect(report.sent).toBeGreaterThan(300);
      // The bodies got past the session gate to the parsers (400) and to signing (200).
      const links = report.byCategory.get('/v1/links') ?? new Map<number | string, number>();
      expect(links.get(400) ?? 0).toBeGreaterThan(0);
      expect(links.get(200) ?? 0).toBeGreaterThan(0);

      const head = (path: string, framing: string) => `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${sessions[1]}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
      const huge = JSON.stringify({ location: 'private', key: 'x'.repeat(1024 * 1024) });
      const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const framing: Array<{ name: string; bytes: string; expected: Array<string> }> = [];
      for (const path of ['/v1/links', '/v1/links/cookies']) {
        framing.push(
          { name: `${path} huge, declared`, bytes: `${head(path, `Content-Length: ${huge.length}`)}${huge}`, expected: ['413 payload_too_large'] },
          { name: `${path} huge, chunked`, bytes: `${head(path, 'Transfer-Encoding: chunked')}${huge.length.toString(16)}\r\n${huge}\r\n0\r\n\r\n`, expected: ['413 payload_too_large'] },
          { name: `${path} nested 100000 deep`, bytes: `${head(path, `Content-Length: ${nested.length}`)}${nested}`, expected: ['413 payload_too_large', '400 invalid_request'] },
          // Shorter than what follows: the declared bytes are the body, the rest a broken next request that Node's parser may refuse first (400 without JSON).
          { name: `${path} length shorter than the body`, bytes: `${head(path, 'Content-Length: 2')}{}GARBAGE / HTTP/1.1\r\n\r\n`, expected: ['400 invalid_request', '200 undefined', '400 undefined'] },
          { name: `${path} two lengths`, bytes: `${head(path, 'Content-Length: 2\r\nContent-Length: 5')}{}`, expected: ['400 undefined'] },
        );
      }
      const framingOutcomes: string[] = [];
      for (const item of framing) {
        const answer = await sendRawAndRead(port, Buffer.from(item.bytes, 'latin1'));
        const outcome = answer === 'no-answer' ? answer : `${answer.status} ${answer.code}`;
        framingOutcomes.push(outcome);
        expect(item.expected, `${item.name}: ${outcome}`).toContain(outcome);
      }
      // Stalled: a declared length, part of the body, then silence; answered (408) or closed within the timeout, never held.
      const stalled = await Promise.all(
        ['/v1/links', '/v1/links/cookies'].map(
          (path) => stallAfter(port, `${head(path, 'Content-Length: 1000')}{"location":`),
        ),
      );
      console.log(`[fuzz suite] token service links framing: ${framingOutcomes.join(', ')}; stalled: ${stalled.join(', ')}`);
      for (const status of stalled) {
        expect(status).not.toBe('held');
        if (typeof status === 'number') expect(status).toBeLessThan(500);
      }
      // Still serving and still signing: health, a link in the own folder, cookies.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const link = await fetch(`${url}/v1/links`, { method: 'POST', headers: { authorization: `Bearer ${sessions[0]}`, 'content-type': 'application/json' }, body: JSON.stringify({ location: 'private', key: 'after-fuzz.txt' }) });
      expect(link.status).toBe(200);
      expect(((await link.json()) as { url: string }).url).toContain(`/users/${encodeURIComponent(identity)}/after-fuzz.txt?Expires=`);
      const cookies = await fetch(`${url}/v1/links/cookies`, { method: 'POST', headers: { authorization: `Bearer ${sessions[0]}` } });
      expect(cookies.status).toBe(200);
      expect(cookies.headers.getSetCookie().length).toBeGreaterThan(0);
    } finally {
      await linkService.close();
    }
  });

  /** The CDN still refuses unsigned private reads and serves a signed one. */
  const expectCdnServing = async (after: string) => {
    const cdnUrl = job.cloud.cdnUrl!;
    const path = `/${alicePrefix.split('/').map(encodeSegment).join('/')}existing.txt`;
    const unsigned = await fetch(`${cdnUrl}${path}`);
    expect(`${unsigned.status} ${/<Code>(\w+)</.exec(await unsigned.text())?.[1]}`, `CDN unsigned after ${after}`).toBe('403 MissingKey');
    const signed = await fetch(signCdnUrl(`${cdnUrl}${path}`));
    expect(signed.status, `CDN signed after ${after}`).toBe(200);
    expect(await signed.text()).toBe('an object that exists');
  };

  const signCdnUrl = (url: string, options: { expiresInSeconds?: number; ipAddress?: string } = {}) => {
    const key = job.cloud.deployment.cdnSigningKey!;
    return getSignedCdnUrl({
      url,
      keyPairId: key.keyPairId,
      privateKey: key.privateKeyPem,
      dateLessThan: new Date(Date.now() + (options.expiresInSeconds ?? 600) * 1000).toISOString(),
      ...(options.ipAddress ? { ipAddress: options.ipAddress } : {}),
      algorithm: 'SHA256',
    } as Parameters<typeof getSignedCdnUrl>[0]);
  };

  it('CDN: hostile paths, signatures, policies, cookies, ranges (If-Range too), conditions, methods and bodies: no 5xx, still serving', { timeout: 90_000 }, async () => {
    const cdnUrl = job.cloud.cdnUrl!;
    const cdnHost = new URL(cdnUrl).host;
    const privatePath = `/${alicePrefix.split('/').map(encodeSegment).join('/')}existing.txt`;
    const key = job.cloud.deployment.cdnSigningKey!;
    const cloudFrontBase64 = (text: string | Buffer) => Buffer.from(text).toString('base64').replaceAll('+', '-').replaceAll('=', '_').replaceAll('/', '~');
    /** A policy that is validly signed but hostile in itself: CloudFront-shaped or not. */
    const hostilePolicy = (random: SeededRandom): string => {
      const expiry = Math.floor(Date.now() / 1000) + 600;
      return random.pick([
        JSON.stringify({ Statement: [{ Resource: `${cdnUrl}/${'*a'.repeat(2000)}`, Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }] }),
        JSON.stringify({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': 1e308 } } }] }),
        JSON.stringify({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': expiry }, IpAddress: { 'AWS:SourceIp': random.pick(['::/0', '0.0.0.0/0', '1.2.3.4/99', 'x', '', '::ffff:127.0.0.1/128']) } } }] }),
        JSON.stringify({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': expiry }, DateGreaterThan: { 'AWS:EpochTime': -1 } } }] }),
        JSON.stringify({ Statement: { Resource: '*' } }),
        JSON.stringify({ __proto__: { polluted: true }, Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }] }),
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        hostileJson(random, () => ({ Statement: [{ Resource: '*', Condition: { DateLessThan: { 'AWS:EpochTime': expiry } } }] })),
      ]);
    };
    const signPolicy = (policy: string) => {
      const signer = createSign('RSA-SHA256');
      signer.update(policy);
      return cloudFrontBase64(signer.sign(key.privateKeyPem));
    };
    const hostilePath = (random: SeededRandom) =>
      random.pick([
        privatePath,
        `/public/${random.text(random.int(30)).split('/').map(encodeSegment).join('/')}`,
        `/${random.text(random.int(60)).split('/').map(encodeSegment).join('/')}`,
        `/${'a/'.repeat(random.int(3000))}`,
        '/%zz/%',
        '/public/%00',
        '/public/..%2F..%2Fusers',
        '//public//x',
        '*',
        'http://evil.example/public/x',
        `/${'x'.repeat(random.pick([1024, 8000, 20_000]))}`,
      ]);
    const signingQuery = (random: SeededRandom): string => {
      const valid = new URL(signCdnUrl(`${cdnUrl}${privatePath}`, random.chance(0.3) ? { ipAddress: '127.0.0.1/32' } : {})).search.slice(1);
      switch (random.int(8)) {
        case 0:
          return valid;
        case 1: {
          const policy = hostilePolicy(random);
          return `Policy=${cloudFrontBase64(policy)}&Signature=${signPolicy(policy)}&Key-Pair-Id=${key.keyPairId}&Hash-Algorithm=SHA256`;
        }
        case 2:
          return valid.replace(/Signature=[^&]*/, `Signature=${random.pick(['', '%', cloudFrontBase64(random.bytes(random.int(600))), 'A'.repeat(10_000), encodeSegment(random.text(30))])}`);
        case 3:
          return `${valid}&${random.pick(['Key-Pair-Id', 'Signature', 'Policy', 'Expires', 'Hash-Algorithm'])}=${encodeSegment(random.text(random.int(40)))}`;
        case 4:
          return valid.replace(/(Expires|Policy)=[^&]*/, (_match, name: string) => `${name}=${random.pick(['-1', '1e99', '99999999999999999999', '0x10', '', encodeSegment(random.text(20)), cloudFrontBase64(random.bytes(2000))])}`);
        case 5:
          return valid.replace(/Key-Pair-Id=[^&]*/, `Key-Pair-Id=${random.pick(['', 'K', '__proto__', 'constructor', 'x'.repeat(5000), encodeSegment(random.text(20))])}`);
        case 6:
          return valid.replace(/Hash-Algorithm=[^&]*/, `Hash-Algorithm=${random.pick(['MD5', 'sha256', 'SHA512', '', 'SHA1'])}`);
        default:
          return `response-content-disposition=${encodeSegment(random.text(random.int(60)))}&${valid}`;
      }
    };
    const report = await fuzz('cdn', job.cloud.cdnPort!, async (random) => {
      const family = random.int(8);
      if (family === 0) {
        const bytes = random.chance(0.5) ? random.bytes(random.int(400)) : Buffer.from(`GET ${hostilePath(random)} HTTP/1.1\r\nHost: ${cdnHost}\r\n${random.text(random.int(50))}\r\n\r\n`, 'latin1');
        return { label: `raw ${bytes.toString('latin1').slice(0, 80)}`, category: 'raw bytes', rawBytes: bytes };
      }
      const headers: Record<string, string> = { host: random.chance(0.05) ? random.pick(['evil.example', '', 'localhost:1:2', '[::1]']) : cdnHost };
      let path = hostilePath(random);
      let method = random.chance(0.8) ? random.pick(['GET', 'HEAD']) : random.pick(METHODS);
      let body: Buffer | undefined;
      let category = 'paths';
      if (family === 1) {
        category = 'signed query';
        path = `${random.chance(0.8) ? privatePath : hostilePath(random)}?${signingQuery(random)}`;
      } else if (family === 2) {
        category = 'cookies';
        const policy = random.chance(0.5) ? JSON.stringify({ Statement: [{ Resource: `${cdnUrl}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } } }] }) : hostilePolicy(random);
        const cookies = [`CloudFront-Policy=${cloudFrontBase64(policy)}`, `CloudFront-Signature=${random.chance(0.5) ? signPolicy(policy) : cloudFrontBase64(random.bytes(256))}`, `CloudFront-Key-Pair-Id=${random.chance(0.8) ? key.keyPairId : random.text(10)}`, 'CloudFront-Hash-Algorithm=SHA256'];
        if (random.chance(0.3)) cookies.push(`${random.text(5)}=${random.text(random.int(20))}`, 'CloudFront-Key-Pair-Id=KDUPLICATE');
        headers.cookie = random.chance(0.1) ? `a=${'b'.repeat(15_000)}` : cookies.sort(() => random.next() - 0.5).join(random.pick(['; ', ';', ' ; ', ';;']));
        path = privatePath;
      } else if (family === 3) {
        category = 'ranges and conditions';
        path = random.chance(0.5) ? privatePath + `?${new URL(signCdnUrl(`${cdnUrl}${privatePath}`)).search.slice(1)}` : hostilePath(random);
        headers.range = random.pick(['bytes=0-0', 'bytes=-0', 'bytes=99999999999999999999-', 'bytes=5-2', 'bytes=0-1,3-4', 'items=0-1', 'bytes=', `bytes=${random.text(10)}`, 'bytes=-999999999999']);
        if (random.chance(0.5)) headers['if-none-match'] = random.pick(['*', '"x"', 'W/"x"', ',,,', random.text(random.int(40))]);
        if (random.chance(0.5)) headers['if-modified-since'] = random.pick(['Thu, 01 Jan 1970 00:00:00 GMT', 'Sat, 01 Jan 2200 00:00:00 GMT', 'not a date', '-1', '99999999999999']);
        if (random.chance(0.5)) headers['if-range'] = random.pick([`"${'x'.repeat(8_000)}"`, 'W/"x"', '"', '""', 'Thu, 01 Jan 1970 00:00:00 GMT', 'not a date', random.text(random.int(40))]);
      } else if (family === 4) {
        category = 'bodies and methods';
        method = random.pick(METHODS);
        body = random.bytes(random.pick([0, 10, 70_000]));
        if (random.chance(0.3)) headers['transfer-encoding'] = 'chunked';
      } else if (family === 5) {
        category = 'preflights';
        method = 'OPTIONS';
        headers.origin = random.pick(['http://localhost:5173', 'http://evil.example', '', 'null', random.text(20)]);
        if (random.chance(0.8)) headers['access-control-request-method'] = random.pick(['GET', 'PUT', 'BREW', '']);
        if (random.chance(0.5)) headers['access-control-request-headers'] = random.text(random.int(50));
      } else if (family === 6) {
        category = 'huge query';
        path = `${privatePath}?${'Key-Pair-Id=K&'.repeat(random.int(3000))}Policy=${'A'.repeat(random.int(20_000))}`;
      }
      return { label: `${method} ${path.slice(0, 200)} ${JSON.stringify(headers).slice(0, 200)}`, category, request: { url: cdnUrl, method, path, headers, ...(body ? { body } : {}) } };
    });
    expect(report.serverErrors.slice(0, 5)).toEqual([]);
    expect(report.sent).toBeGreaterThan(100);
    await expectCdnServing('the CDN fuzz');
    await expectCloudHealthy();
    expect(internalErrors.splice(0).slice(0, 5)).toEqual([]);
  });

  it('framing lies against every server: lying lengths, deep nesting, stalled bodies; each family answered, every server still answers after it', { timeout: 120_000 }, async () => {
    const region = job.cloud.outputs.region;
    const tokenService = new URL(job.tokenService.url);
    const page = new URL(job.page.url);
    /** Lookups are signed in, so their bodies are read; this user spends few of its rate-limit tokens here. */
    const lookupSession = await developmentSession(job.tokenService.url, 'framing-looker');
    // The user every check looks up (alice may have been unlinked by the fuzzing before: DELETE /v1/identity is fuzzed with her session).
    const lookupTarget = await fetch(`${job.tokenService.url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${await developmentSession(job.tokenService.url, 'framing-lookup-target')}` } });
    const lookupTargetIdentity = ((await lookupTarget.json()) as { identityId: string }).identityId;
    const lookupHead = (length: number, framing = `Content-Length: ${length}`) =>
      `POST ${IDENTITY_LOOKUP_PATH} HTTP/1.1\r\nHost: ${tokenService.host}\r\nAuthorization: Bearer ${lookupSession}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
    const prefix = alicePrefix.split('/').map(encodeSegment).join('/');
    /** A PUT to alice's own prefix, signed, so S3 gets as far as reading the body. */
    const signedS3PutHead = async (length: number) => {
      const path = `/${bucket}/${prefix}fuzz/framing.bin`;
      const headers = await signRequest(aliceCredentials, { endpoint: cloudHttp, service: 's3', region, method: 'PUT', path, headers: { 'content-length': String(length), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
      return `PUT ${path} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`;
    };
    const servers: Record<string, { port: number; host: string; head: (length: number) => string | Promise<string> }> = {
      cognito: { port: job.cloud.port, host: `127.0.0.1:${job.cloud.port}`, head: (length: number) => `POST / HTTP/1.1\r\nHost: 127.0.0.1:${job.cloud.port}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityService.GetId\r\nContent-Length: ${length}\r\n\r\n` },
      s3: { port: job.cloud.port, host: `127.0.0.1:${job.cloud.port}`, head: signedS3PutHead },
      'token-service': { port: Number(tokenService.port), host: tokenService.host, head: (length: number) => `POST /v1/dev/session HTTP/1.1\r\nHost: ${tokenService.host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n` },
      'token-service lookup': { port: Number(tokenService.port), host: tokenService.host, head: (length: number) => lookupHead(length) },
      page: { port: Number(page.port), host: page.host, head: (length: number) => `POST / HTTP/1.1\r\nHost: ${page.host}\r\nContent-Length: ${length}\r\n\r\n` },
      // The CDN takes no bodies: a GET carrying one is answered without reading it.
      cdn: { port: job.cloud.cdnPort!, host: `localhost:${job.cloud.cdnPort!}`, head: (length: number) => `GET /${prefix}existing.txt HTTP/1.1\r\nHost: localhost:${job.cloud.cdnPort!}\r\nContent-Length: ${length}\r\n\r\n` },
    };
    const everyServerAnswers = async (family: string) => {
      await expectCloudHealthy();
      expect((await fetch(`${job.tokenService.url}/healthz`)).status, `token service after ${family}`).toBe(200);
      const lookup = await fetch(`${job.tokenService.url}${IDENTITY_LOOKUP_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await developmentSession(job.tokenService.url, `checker after ${family}`)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'framing-lookup-target' }),
      });
      expect(lookup.status, `identity lookup after ${family}`).toBe(200);
      expect(await lookup.json()).toEqual({ userId: 'framing-lookup-target', identityId: lookupTargetIdentity });
      expect((await fetch(`${job.page.url}/`)).status, `page after ${family}`).toBe(200);
      const cognito = await fetch(`http://127.0.0.1:${job.cloud.port}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.DescribeIdentity' }, body: '{}' });
      expect(cognito.status, `Cognito after ${family}`).toBe(400);
      await expectCdnServing(family);
    };
    const tally = (outcomes: Array<number | string>) => {
      const counts = new Map<number | string, number>();
      for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      return [...counts].map(([outcome, count]) => `${outcome}:${count}`).join(' ');
    };
    const answerOf = (answer: Awaited<ReturnType<typeof sendRaw>> | Error) => (answer instanceof Error ? 'error' : typeof answer === 'string' ? answer : answer.status);

    // 1. Lying lengths: aws-chunked decoded lengths that disagree with the chunks, on every body-taking S3 operation (any credentials: DeleteObjects reads its body before deciding per key).
    const bodyTaking: Array<{ name: string; method: string; path: string; query: Record<string, string> }> = [
      { name: 'PutObject', method: 'PUT', path: `/${bucket}/${prefix}fuzz/lying.bin`, query: {} },
      { name: 'UploadPart', method: 'PUT', path: `/${bucket}/${prefix}fuzz-upload.bin`, query: { partNumber: '1', uploadId } },
      { name: 'CompleteMultipartUpload', method: 'POST', path: `/${bucket}/${prefix}fuzz-upload.bin`, query: { uploadId } },
      { name: 'DeleteObjects', method: 'POST', path: `/${bucket}/`, query: { delete: '' } },
    ];
    const chunkedLies: Array<{ decoded: string; body: string; contentMd5?: boolean }> = [
      { decoded: '999999999999999', body: '0\r\n\r\n' },
      { decoded: '3000000', body: '0\r\n\r\n', contentMd5: true },
      { decoded: '0', body: '3\r\nabc\r\n0\r\n\r\n' },
      { decoded: '10', body: '3\r\nabc\r\n0\r\n\r\n' },
      { decoded: '3', body: '3\r\nabc\r\n' },
      { decoded: '3', body: 'ffffffffffffff\r\nabc' },
      { decoded: '1e3', body: '0\r\n\r\n' },
    ];
    /** Alice signs the request (with its Content-Length) as an SDK would; the body is sent as given. */
    const sendSignedS3 = async (operation: (typeof bodyTaking)[number], body: Buffer, headers: Record<string, string>) => {
      const signed = await signRequest(aliceCredentials, { endpoint: cloudHttp, service: 's3', region, method: operation.method, path: operation.path, query: operation.query, headers: { ...headers, 'content-length': String(body.length) } });
      const query = Object.keys(operation.query).length ? `?${queryString(operation.query)}` : '';
      return sendRaw({ url: cloudHttp, method: operation.method, path: `${operation.path}${query}`, headers: signed, body, timeoutMs: 10_000 }).catch((error: Error) => error);
    };
    const lyingOutcomes: Array<number | string> = [];
    for (const operation of bodyTaking) {
      for (const lie of chunkedLies) {
        const body = Buffer.from(lie.body);
        const answer = await sendSignedS3(operation, body, {
          'content-encoding': 'aws-chunked',
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-decoded-content-length': lie.decoded,
          ...(lie.contentMd5 ? { 'content-md5': createHash('md5').update('').digest('base64') } : {}),
        });
        lyingOutcomes.push(answerOf(answer));
        if (typeof answer === 'object' && !(answer instanceof Error)) expect(answer.status, `${operation.name} decoded ${lie.decoded}: ${answer.body}`).toBeLessThan(500);
      }
    }
    // Content-Length shorter than the bytes that follow (the rest is read as the next request), to every server.
    for (const [name, server] of Object.entries(servers)) {
      const status = await sendRawBytes(server.port, Buffer.from(`${await server.head(2)}{}GARBAGE / HTTP/1.1\r\n\r\n`, 'latin1'));
      lyingOutcomes.push(`${name}:${status}`);
      if (typeof status === 'number') expect(status, name).toBeLessThan(500);
    }
    console.log(`[fuzz suite] lying lengths: ${lyingOutcomes.length} requests, answers ${tally(lyingOutcomes)}`);
    await everyServerAnswers('lying lengths');

    // 2. Nesting past every parser's limit: XML to S3, JSON to Cognito and the token service.
    const nestingOutcomes: Array<number | string> = [];
    for (const depth of [101, 1000, 100_000]) {
      const nested = `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;
      for (const [operation, document] of [
        [bodyTaking[3]!, `<Delete>${nested}<Object><Key>k</Key></Object></Delete>`],
        [bodyTaking[2]!, `<CompleteMultipartUpload>${nested}</CompleteMultipartUpload>`],
      ] as const) {
        const body = Buffer.from(document);
        const answer = await sendSignedS3(operation, body, { 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'), 'content-md5': createHash('md5').update(body).digest('base64') });
        nestingOutcomes.push(answerOf(answer));
        expect(answer instanceof Error || typeof answer === 'string' ? answer : `${answer.status} ${/<Code>(\w+)</.exec(answer.body)?.[1]}`, `${operation.name} ${depth} deep`).toBe('400 MalformedXML');
      }
      const json = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      for (const [url, path, headers] of [
        [cloudHttp, '/', { host: servers.cognito!.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.GetId' }],
        [job.tokenService.url, '/v1/dev/session', { host: servers['token-service']!.host, 'content-type': 'application/json' }],
        [job.tokenService.url, IDENTITY_LOOKUP_PATH, { host: servers['token-service']!.host, 'content-type': 'application/json', authorization: `Bearer ${lookupSession}` }],
      ] as const) {
        const answer = await sendRaw({ url, method: 'POST', path, headers: { ...headers, 'content-length': String(json.length) }, body: json, timeoutMs: 10_000 }).catch((error: Error) => error);
        nestingOutcomes.push(answerOf(answer));
        const status = answerOf(answer);
        expect(typeof status === 'number' && status >= 400 && status < 500, `${url}${path} JSON ${depth} deep: ${status}`).toBe(true);
      }
    }
    console.log(`[fuzz suite] deep nesting: ${nestingOutcomes.length} requests, answers ${tally(nestingOutcomes)}`);
    await everyServerAnswers('deep nesting');

    // 2b. The identity lookup's parser limits: huge JSON whether its length is declared or chunked (an understated one is in the lying lengths above), and wrong types; each a 4xx with a stable code.
    const huge = JSON.stringify({ userId: 'x'.repeat(1024 * 1024) });
    const lookupLimits: Array<{ name: string; bytes: string; status: number; code: string }> = [
      { name: 'huge, declared', bytes: `${lookupHead(huge.length)}${huge}`, status: 413, code: 'payload_too_large' },
      { name: 'huge, chunked', bytes: `${lookupHead(0, 'Transfer-Encoding: chunked')}${huge.length.toString(16)}\r\n${huge}\r\n0\r\n\r\n`, status: 413, code: 'payload_too_large' },
      { name: 'user id just past its limit', bytes: `${lookupHead(JSON.stringify({ userId: 'x'.repeat(1025) }).length)}${JSON.stringify({ userId: 'x'.repeat(1025) })}`, status: 400, code: 'invalid_request' },
      ...['{"userId":1}', '{"userId":[]}', '{"userId":{}}', '{"userId":true}', '{"userId":null}', '[]', '"alice"', '1e999', '{"userId":"alice","userId":["x"]}', '{"userId":"\\ud800"}'].map((body) => ({
        name: `wrong type ${body}`,
        bytes: `${lookupHead(Buffer.byteLength(body))}${body}`,
        status: 400,
        code: 'invalid_request',
      })),
    ];
    const lookupLimitOutcomes: Array<number | string> = [];
    for (const limit of lookupLimits) {
      const answer = await sendRawAndRead(Number(tokenService.port), Buffer.from(limit.bytes, 'latin1'));
      lookupLimitOutcomes.push(answer === 'no-answer' ? answer : answer.status);
      expect(answer === 'no-answer' ? answer : `${answer.status} ${answer.code}`, limit.name).toBe(`${limit.status} ${limit.code}`);
    }
    console.log(`[fuzz suite] identity lookup parser limits: ${lookupLimitOutcomes.length} requests, answers ${tally(lookupLimitOutcomes)}`);
    await everyServerAnswers('identity lookup parser limits');

    // 3. Stalled bodies: a declared length, part of the body, then silence. Each server must answer or close within its timeout, not hold the connection.
    const stalled = await Promise.all(
      Object.entries(servers).map(async ([name, server]) => {
        const head = await server.head(1000);
        const started = Date.now();
        const status = await stallAfter(server.port, `${head}{"partial":`);
        return { name, status, afterMs: Date.now() - started };
      }),
    );
    console.log(`[fuzz suite] stalled bodies: ${stalled.map(({ name, status, afterMs }) => `${name} ${status} after ${afterMs} ms`).join(', ')}`);
    for (const { name, status } of stalled) {
      expect(status, name).not.toBe('held');
      if (typeof status === 'number') expect(status, name).toBeLessThan(500);
    }
    await everyServerAnswers('stalled bodies');
    expect(internalErrors.splice(0).slice(0, 5)).toEqual([]);
  });

  it('S3 POST Object: hostile forms (lying lengths, cut and stalled bodies, parser limits, file before the policy, no boundary, forged policies): no 5xx, nothing staged left, still serving', { timeout: 120_000 }, async () => {
    const region = job.cloud.outputs.region;
    const path = `/${bucket}`;
    const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
    /** A form signed as createPresignedPost signs one, but over any policy text, so hostile policies get past the signature. */
    const signedForm = (policyText: string, key: string, longDate: string): Array<[string, string]> => {
      const shortDate = longDate.slice(0, 8);
      const signingKey = hmac(hmac(hmac(hmac(`AWS4${aliceCredentials.secretAccessKey}`, shortDate), region), 's3'), 'aws4_request');
      const policy = Buffer.from(policyText, 'utf8').toString('base64');
      return [
        ['key', key],
        ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
        ['X-Amz-Credential', `${aliceCredentials.accessKeyId}/${shortDate}/${region}/s3/aws4_request`],
        ['X-Amz-Date', longDate],
        ['X-Amz-Security-Token', aliceCredentials.sessionToken ?? ''],
        ['Policy', policy],
        ['X-Amz-Signature', createHmac('sha256', signingKey).update(policy, 'utf8').digest('hex')],
      ];
    };
    const validPolicy = (fields: Array<[string, string]>) =>
      JSON.stringify({
        expiration: new Date(Date.now() + 600_000).toISOString(),
        conditions: [{ bucket }, ...fields.map(([name, value]) => ({ [name]: value })), ['content-length-range', 0, 4096], ['starts-with', '$Content-Type', '']],
      });
    const form = (key: string, policyText?: string): Array<[string, string]> => {
      const longDate = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
      const covered = signedForm('{}', key, longDate).slice(0, 5);
      const fields = signedForm(policyText ?? validPolicy(covered), key, longDate);
      return [...fields, ['Content-Type', 'text/plain']];
    };
    type Part = { name: string; value: Buffer | string; fileName?: string };
    const multipart = (boundary: string, parts: Part[], closing = true): Buffer =>
      Buffer.concat([
        ...parts.map((part) =>
          Buffer.concat([
            Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${part.fileName === undefined ? '' : `; filename="${part.fileName}"`}\r\n${part.fileName === undefined ? '' : 'Content-Type: application/octet-stream\r\n'}\r\n`, 'utf8'),
            Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value, 'utf8'),
            Buffer.from('\r\n'),
          ]),
        ),
        Buffer.from(closing ? `--${boundary}--\r\n` : ''),
      ]);
    const hostilePolicy = (random: SeededRandom, key: string): string => {
      const conditions: unknown[] = [{ bucket }, { key }];
      const field = random.pick(['$key', '$Content-Type', '$bucket', '$x-amz-meta-a', '$', '', 'key', '$success_action_status', random.text(8)]);
      const values: unknown[] = [null, 0, -1, 1.5, 1e308, '', random.text(10), [], {}, ['a'], { a: 1 }, 'x'.repeat(5000), '9'.repeat(30)];
      for (let index = 0; index < 1 + random.int(4); index += 1) {
        conditions.push(
          random.pick<unknown>([
            [random.pick(['eq', 'starts-with', 'EQ', 'content-length-range', 'nope', '']), field, random.pick(values)],
            ['content-length-range', random.pick(values), random.pick(values)],
            [random.pick(['eq', 'starts-with']), field],
            { [random.text(6)]: random.pick(values) },
            random.pick(values),
          ]),
        );
      }
      const expiration = random.pick<unknown>([new Date(Date.now() + 600_000).toISOString(), '2000-01-01T00:00:00Z', 'tomorrow', 0, null, '9999-99-99T99:99:99Z']);
      switch (random.int(5)) {
        case 0:
          return random.bytes(random.int(300)).toString('latin1');
        case 1:
          return JSON.stringify({ expiration, conditions: random.pick<unknown>([conditions, null, 'x', {}, '['.repeat(5000) + ']'.repeat(5000)]) });
        case 2:
          return `${'['.repeat(100_000)}${']'.repeat(100_000)}`.slice(0, 19_000);
        default:
          return JSON.stringify({ expiration, conditions });
      }
    };

    const report = await fuzz('s3 POST Object', job.cloud.port, async (random) => {
      const category = random.pick(['valid', 'hostile key or file name', 'hostile fields', 'forged policy', 'file first', 'two files', 'too many fields', 'huge field', 'no boundary', 'not multipart', 'garbage body', 'truncated form', 'shorter length', 'longer length (stalled)', 'cut', 'oversize file']);
      const hostileNames = category === 'hostile key or file name';
      const key = !hostileNames
        ? `${alicePrefix}post/${random.int(1_000_000)}.bin`
        : random.chance(0.7)
          ? `${alicePrefix}post/${random.chance(0.3) ? '${filename}' : random.text(1 + random.int(20))}`
          : random.pick([`users/someone-else/x`, '', random.text(30), `${alicePrefix}${'a'.repeat(1100)}`]);
      const boundary = hostileNames ? random.pick(['----fuzzBoundary7MA4YWxk', 'x', '-'.repeat(70), 'b"oundary']) : '----fuzzBoundary7MA4YWxk';
      let fields = form(key, category === 'forged policy' ? hostilePolicy(random, key) : undefined);
      const file: Part = { name: 'file', value: random.bytes(random.int(2048)), fileName: hostileNames ? random.text(random.int(40)).split('"').join('') : 'photo.jpg' };
      let parts: Part[] = [...fields.map(([name, value]) => ({ name, value })), file];
      let contentType = `multipart/form-data; boundary=${boundary.includes('"') ? `"${boundary}"` : boundary}`;
      switch (category) {
        case 'hostile fields':
          fields = [...fields, [random.pick(['Content-Type', 'x-amz-meta-a', 'success_action_redirect', 'success_action_status', 'acl', 'tagging', 'x-ignore-x', 'Expires', random.text(8)]), random.text(random.int(60))]];
          parts = [...fields.map(([name, value]) => ({ name, value })), file];
          break;
        case 'file first':
          parts = [file, ...parts.slice(0, -1)];
          break;
        case 'two files':
          parts = [...parts, { ...file, name: random.pick(['file', 'other']) }];
          break;
        case 'too many fields':
          parts = [...Array.from({ length: 25 }, (_, index) => ({ name: `x-ignore-${index}`, value: 'v' })), ...parts];
          break;
        case 'huge field':
          parts = [{ name: random.chance(0.5) ? 'x-ignore-big' : 'n'.repeat(2000), value: 'v'.repeat(random.pick([20 * 1024 + 1, 100_000])) }, ...parts];
          break;
        case 'no boundary':
          contentType = random.pick(['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; charset=utf-8', 'multipart/mixed; boundary=x']);
          break;
        case 'not multipart':
          contentType = random.pick(['text/plain', 'application/x-www-form-urlencoded', '', 'application/json']);
          break;
        case 'oversize file':
          parts = [...parts.slice(0, -1), { ...file, value: random.bytes(4097 + random.int(20_000)) }];
          break;
        default:
          break;
      }
      let body = category === 'garbage body' ? random.bytes(random.int(4000)) : multipart(boundary, parts);
      if (category === 'truncated form') body = body.subarray(0, random.int(body.length));
      let contentLength = body.length;
      if (category === 'shorter length') contentLength = random.int(body.length);
      if (category === 'longer length (stalled)') {
        // The body stops inside the file (or after it, before the closing boundary): the form never ends.
        contentLength = body.length;
        body = body.subarray(0, Math.max(1, body.length - 1 - random.int(600)));
      }
      const headers: Record<string, string> = { host: `127.0.0.1:${job.cloud.port}`, 'content-length': String(contentLength), ...(contentType === '' ? {} : { 'content-type': contentType }) };
      return {
        category,
        label: `${category} ${JSON.stringify(key.slice(0, 80))} ${contentType} ${body.length} bytes, Content-Length ${contentLength}`,
        request: { url: cloudHttp, method: 'POST', path, headers, body, ...(category === 'cut' ? { cutAfterBytes: random.int(body.length) } : {}) },
      };
    });
    expect(report.serverErrors.slice(0, 10)).toEqual([]);
    expect(internalErrors.splice(0).slice(0, 5)).toEqual([]);
    expect(report.sent).toBeGreaterThan(300);
    // Well-formed forms among the hostile ones are all stored.
    const valid = report.byCategory.get('valid');
    expect([...(valid?.keys() ?? [])]).toEqual([204]);
    expect(report.byCategory.get('longer length (stalled)')?.get(400)).toBeGreaterThan(0);
    expect(report.byCategory.get('oversize file')?.get(400)).toBeGreaterThan(0);

    await expectCloudHealthy();
    // A well-formed form still uploads after all that.
    const key = `${alicePrefix}post/after-fuzz.txt`;
    const after = await sendRaw({ url: cloudHttp, method: 'POST', path, headers: { 'content-type': 'multipart/form-data; boundary=ok' }, body: multipart('ok', [...form(key).map(([name, value]) => ({ name, value })), { name: 'file', value: 'after', fileName: 'a.txt' }]) });
    expect(after !== 'cut' && after !== 'no-answer' && after.status).toBe(204);
    let leftovers: string[] = [];
    for (let wait = 0; wait < 40; wait += 1) {
      leftovers = await temporaryFilesUnder(join(stateDirectory, 'data'));
      if (leftovers.length === 0) break;
      await sleep(50);
    }
    expect(leftovers).toEqual([]);
  });
});
