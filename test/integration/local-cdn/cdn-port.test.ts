import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN_JOB = join(REPOSITORY, 'infra/local/main-job.ts');

/** `npm start` as its own process, with only the given port and state variables. */
function runMainJob(args: string[], environment: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { PAGE_PORT: _page, LOCAL_CLOUD_PORT: _cloud, LOCAL_CDN_PORT: _cdn, SCOPED_STORAGE_STATE_DIR: _state, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN_JOB, ...args], { cwd: REPOSITORY, env: { ...inherited, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  // A start that should have been refused but runs must not outlive the test.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, ...output });
    }),
  );
}

describe('LOCAL_CDN_PORT', () => {
  let directory: string;
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cdn-port-'));
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  it('npm start -- --help lists it', async () => {
    const run = await runMainJob(['--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/LOCAL_CDN_PORT\s+port of the local CDN/);
  });

  it('a taken CDN port exits 1 naming the port and LOCAL_CDN_PORT, without a stack trace', { timeout: 150_000 }, async () => {
    const run = await runMainJob([], { SCOPED_STORAGE_STATE_DIR: join(directory, 'state'), PAGE_PORT: '0', LOCAL_CDN_PORT: String(takenPort) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Port ${takenPort} (the local CDN) is already in use`);
    expect(run.stderr).toContain('LOCAL_CDN_PORT=0 npm start');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('a CDN port that is not a port number is refused before anything starts', async () => {
    const run = await runMainJob([], { SCOPED_STORAGE_STATE_DIR: join(directory, 'state-2'), PAGE_PORT: '0', LOCAL_CDN_PORT: '70000' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('LOCAL_CDN_PORT must be a port number from 0 to 65535 (got "70000")');
  });
});
