import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStorageOutputsFile } from '../../../app/library/node/create-node-storage-client.ts';
import { defaultAccessRules } from '../../../infra/access-rules/index.ts';
import type { AccessRule } from '../../../infra/access-rules/access-rule.ts';
import { startMainJob, type MainJobOptions, type RunningMainJob } from '../../../infra/local/main-job.ts';
import { storedBucketState } from '../local-s3/stored-bucket-state.ts';

const REPOSITORY = join(import.meta.dirname, '../../..');

/** `npx tsx infra/deployment-verification/cli.ts ...` as an operator runs it (npm run verify). */
function runVerify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'infra/deployment-verification/cli.ts', ...args], { cwd: REPOSITORY, env: process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Starts verify as one node process (tsx as a loader, so the signal reaches the CLI itself), sends
 * SIGINT once stderr shows `interruptAfter`, and resolves with its exit code and output.
 */
function interruptVerify(args: string[], interruptAfter: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/deployment-verification/cli.ts', ...args], { cwd: REPOSITORY, env: process.env });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!interrupted && interruptAfter.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Deployment {
  job: RunningMainJob;
  stateDirectory: string;
  /** What the bucket holds, read from the local cloud's state: every object key and every upload in progress. */
  bucketState(): Promise<{ keys: string[]; uploads: string[] }>;
  close(): Promise<void>;
}

async function startDeployment(stack: MainJobOptions['stack']): Promise<Deployment> {
  const stateDirectory = await mkdtemp(join(tmpdir(), 'verify-'));
  const job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack, tokenServiceLog: false });
  const { bucket } = await readStorageOutputsFile(job.cloud.outputsPath);
  return {
    job,
    stateDirectory,
    async bucketState() {
      return storedBucketState(join(stateDirectory, 'data'), bucket);
    },
    async close() {
      await job.close();
      await rm(stateDirectory, { recursive: true, force: true });
    },
  };
}

describe('npm run verify against the main job (the default locations with guests)', () => {
  let deployment: Deployment;
  beforeAll(async () => {
    deployment = await startDeployment({ allowGuests: true });
  });
  afterAll(async () => {
    await deployment?.close();
  });

  it('exits 0, prints the table and the counts, and leaves nothing behind', { timeout: 120_000 }, async () => {
    expect(await deployment.bucketState()).toEqual({ keys: [], uploads: [] });
    const { code, stdout, stderr } = await runVerify(['--outputs', deployment.job.cloud.outputsPath]);
    expect({ code, stderr: code === 0 ? '' : stderr, failures: code === 0 ? '' : stdout.slice(-4000) }).toEqual({ code: 0, stderr: '', failures: '' });
    const figures = /\[security matrix\] attempts: (\d+), forbidden attempts allowed: (\d+), allowed controls passed: (\d+) \(of (\d+) controls/.exec(stdout);
    expect(figures).not.toBeNull();
    const [, attempts, forbiddenAllowed, passed, controls] = figures!.map(Number);
    console.log(`[verify] ${figures![0]}`);
    expect(forbiddenAllowed).toBe(0);
    expect(passed).toBe(controls);
    // Four personas (a guest too) over every location: the full matrix, as the reliability suite runs it.
    expect(attempts).toBeGreaterThan(2500);
    expect(stdout).toMatch(/^operation +forbidden denied +FORBIDDEN ALLOWED/m);
    expect(stdout).toMatch(/^PutObject +\d+ +0 /m);
    expect(stdout).toContain('signed in (development): alice = verify-');
    expect(stdout).toContain('guest = (guest)');
    expect(stdout).toContain('clean-up: every object and upload of the run deleted');
    // The run's own users are unlinked (DELETE /v1/identity) once it is done.
    expect(stdout).not.toContain('test identities not unlinked');
    expect(stdout).toContain('verify: OK');
    expect(stdout).not.toContain('note: the deployment publishes locations other than the defaults');
    // Nothing of the run is left: no object, no upload in progress.
    expect(await deployment.bucketState()).toEqual({ keys: [], uploads: [] });
  });

  it('with --session (an OIDC deployment) uses the given test users, and still leaves nothing behind', { timeout: 120_000 }, async () => {
    const session = async (user: string, tenant?: string) => {
      const response = await fetch(`${deployment.job.tokenService.url}/v1/dev/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, ...(tenant ? { tenant } : {}) }) });
      return ((await response.json()) as { sessionToken: string }).sessionToken;
    };
    const sessions = [`alice=${await session('test-alice', 'acme')}`, `bob=${await session('test-bob', 'globex')}`, `carol=${await session('test-carol')}`];
    const { code, stdout, stderr } = await runVerify(['--outputs', deployment.job.cloud.outputsPath, ...sessions.flatMap((value) => ['--session', value])]);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('signed in (given sessions): alice = (given session) (tenant acme), bob = (given session) (tenant globex), carol = (given session), guest = (guest)');
    expect(stdout).toMatch(/forbidden attempts allowed: 0, allowed controls passed: (\d+) \(of \1 controls/);
    expect(await deployment.bucketState()).toEqual({ keys: [], uploads: [] });
    const incomplete = await runVerify(['--outputs', deployment.job.cloud.outputsPath, '--session', sessions[0]!]);
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toContain('--session needs all of alice, bob and carol (missing: bob, carol)');
  });

  it('exits 2 with a clear message on usage errors', { timeout: 60_000 }, async () => {
    const missing = await runVerify([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--outputs <path> is required');
    const unreadable = await runVerify(['--outputs', join(deployment.stateDirectory, 'no-such-outputs.json')]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('Cannot read the outputs file');
    const badSession = await runVerify(['--outputs', deployment.job.cloud.outputsPath, '--session', 'mallory=abc']);
    expect(badSession.code).toBe(2);
    expect(badSession.stderr).toContain('--session takes <name>=<token> with name alice, bob or carol');
    const flat = await runVerify(['--outputs', deployment.job.cloud.outputsPath, '--stack', 'Nope']);
    expect(flat.code).toBe(2);
    expect(flat.stderr).toContain(`--stack names a stack, but ${deployment.job.cloud.outputsPath} holds one deployment's outputs without stack names`);
    const flatOutputs = JSON.parse(await readFile(deployment.job.cloud.outputsPath, 'utf8')) as Record<string, unknown>;
    const twoStacksPath = join(deployment.stateDirectory, 'two-stacks.json');
    await writeFile(twoStacksPath, JSON.stringify({ StorageA: flatOutputs, StorageB: { ...flatOutputs, bucket: 'other-bucket' } }));
    const twoStacks = await runVerify(['--outputs', twoStacksPath]);
    expect(twoStacks.code).toBe(2);
    expect(twoStacks.stderr).toContain(`${twoStacksPath} holds several stacks' outputs (StorageA, StorageB): pass --stack <name> to pick one`);
    const garbageArn = await runVerify(['--outputs', deployment.job.cloud.outputsPath, '--hmac-secret-arn', 'garbage']);
    expect(garbageArn.code).toBe(2);
    expect(garbageArn.stderr).toContain('"garbage" is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)');
    const help = await runVerify(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('What it creates, and deletes again');
  });

  it('names the endpoint and the cause when sign-in fails, and exits 2', { timeout: 60_000 }, async () => {
    const outputs = JSON.parse(await readFile(deployment.job.cloud.outputsPath, 'utf8')) as { endpoints: Record<string, string> };
    const unreachablePath = join(deployment.stateDirectory, 'unreachable-cognito.json');
    await writeFile(unreachablePath, JSON.stringify({ ...outputs, endpoints: { ...outputs.endpoints, cognitoIdentity: 'https://127.0.0.1:1' } }));
    const { code, stderr } = await runVerify(['--outputs', unreachablePath]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/alice could not sign in: Could not get temporary credentials from Cognito at https:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED/);
    expect(await deployment.bucketState()).toEqual({ keys: [], uploads: [] });
  });

  it('on Ctrl-C mid-run stops, cleans up what it wrote, says so and exits 130', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await interruptVerify(['--outputs', deployment.job.cloud.outputsPath], /verify: running the security matrix/);
    const runTag = /verify: run (verify-[0-9a-f]{12}): every object and upload it writes has "\1" in its key/.exec(stderr)?.[1];
    expect(runTag).toBeDefined();
    expect({ code, stdout }).toMatchObject({ code: 130 });
    expect(stderr).toContain(`verify: interrupted: starting no new attempts, cleaning up run ${runTag}`);
    expect(stdout).toContain(`verify: INTERRUPTED: run ${runTag} stopped before its end`);
    // The sentinels were planted before the interrupt: the clean-up removed objects and aborted uploads, and unlinked the three users.
    expect(stdout).toMatch(/clean-up: [1-9]\d* uploads aborted, [1-9]\d* objects deleted, 3 test identities unlinked/);
    expect(stdout).toContain(`clean-up: nothing of run ${runTag} left behind`);
    expect(stdout).not.toContain('verify: OK');
    expect(await deployment.bucketState()).toEqual({ keys: [], uploads: [] });
  });
});

describe('npm run verify against a deliberately weakened deployment (authenticated may write shared/)', () => {
  let deployment: Deployment;
  beforeAll(async () => {
    const weakened: AccessRule[] = defaultAccessRules({ allowGuests: true }).map((rule) => (rule.prefix === 'shared/' ? { ...rule, grants: { authenticated: ['read', 'list', 'write'] } } : rule));
    deployment = await startDeployment({ allowGuests: true, accessRules: weakened });
  });
  afterAll(async () => {
    await deployment?.close();
  });

  it('exits 1 and names the forbidden successes', { timeout: 120_000 }, async () => {
    const { code, stdout } = await runVerify(['--outputs', deployment.job.cloud.outputsPath]);
    expect(code).toBe(1);
    const section = stdout.slice(stdout.indexOf('FORBIDDEN ATTEMPTS THAT SUCCEEDED'));
    expect(section).toMatch(/^FORBIDDEN ATTEMPTS THAT SUCCEEDED \(\d+\):/);
    for (const persona of ['alice', 'bob', 'carol']) {
      // Every write path names the weakness: the SDK's PutObject, a POST Object form, and the library's upload links (it signs where the published rules say write).
      for (const operation of ['PutObject', 'POST Object', 'presigned PUT (If-None-Match)', 'upload link PUT (library)', 'upload link POST (library)']) expect(section).toContain(`${persona} ${operation} [shared/ (read-only)] -> allowed`);
    }
    // A guest is not "authenticated": shared/ stays closed to it.
    expect(section).not.toContain('guest PutObject [shared/');
    expect(stdout).toContain('note: the deployment publishes locations other than the defaults');
    expect(stdout).toContain('verify: FAILED');
    // What no test identity may delete (write without delete on shared/) is named for the admin.
    const { keys, uploads } = await deployment.bucketState();
    expect(uploads).toEqual([]);
    expect(keys.every((key) => key.startsWith('shared/'))).toBe(true);
    for (const key of keys) expect(stdout).toContain(`  ${key}`);
  });
});
