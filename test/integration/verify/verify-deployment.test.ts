import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStorageOutputsFile } from '../../../app/library/node/create-node-storage-client.ts';
import { defaultAccessRules } from '../../../infra/access-rules/index.ts';
import type { AccessRule } from '../../../infra/access-rules/access-rule.ts';
import { startMainJob, type MainJobOptions, type RunningMainJob } from '../../../infra/local/main-job.ts';
import { ObjectIndex } from '../../../infra/local/s3/model/object-index.ts';
import { UploadIndex } from '../../../infra/local/s3/model/upload-index.ts';

const REPOSITORY = join(import.meta.dirname, '../../..');

/** `npx tsx infra/deployment-verification/cli.ts ...` as an operator runs it (npm run verify). */
function runVerify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'infra/deployment-verification/cli.ts', ...args], { cwd: REPOSITORY, env: process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
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
  const bucketDirectory = join(stateDirectory, 'data', 's3', bucket);
  return {
    job,
    stateDirectory,
    async bucketState() {
      const objects = await ObjectIndex.load(bucketDirectory);
      const uploads = await UploadIndex.load(bucketDirectory);
      return { keys: [...objects.allRecords()].map((record) => record.key).sort(), uploads: uploads.sorted().map((stored) => stored.upload.key) };
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
    const help = await runVerify(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('What it creates, and deletes again');
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
    for (const persona of ['alice', 'bob', 'carol']) expect(section).toContain(`${persona} PutObject [shared/ (read-only)] -> allowed`);
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
