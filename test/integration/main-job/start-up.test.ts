import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN_JOB = join(REPOSITORY, 'infra/local/main-job.ts');
const LOCAL_CLOUD_CLI = join(REPOSITORY, 'infra/local/cli.ts');
/** A line of a Node stack trace. */
const STACK_FRAME = /^\s+at /m;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What `npm start` / `npm run local` run (`tsx <entry>`), as a child process of its own. */
function launch(entry: string, args: string[], environment: Record<string, string>, timeoutMs = 50_000) {
  const { PAGE_PORT: _page, LOCAL_CLOUD_PORT: _cloud, LOCAL_CDN_PORT: _cdn, SCOPED_STORAGE_STATE_DIR: _state, LOCAL_ALLOWED_HOSTS: _hosts, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: REPOSITORY, env: { ...inherited, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  // A start that should have been refused but runs must not outlive the test.
  const deadline = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<Run>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, ...output });
    }),
  );
  return { child, output, exited };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm start: a second start, a taken port, --help', () => {
  let directory: string;
  let first: ReturnType<typeof launch>;
  let firstStateDirectory: string;
  let pagePort: number;
  let cloudPort: number;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'main-job-start-'));
    firstStateDirectory = join(directory, 'first');
    pagePort = await freePort();
    first = launch(MAIN_JOB, [], { SCOPED_STORAGE_STATE_DIR: firstStateDirectory, PAGE_PORT: String(pagePort), LOCAL_CLOUD_PORT: '0' }, 600_000);
    const started = await Promise.race([
      new Promise<'started'>((resolve) => {
        const check = () => (first.output.stdout.includes('Press Ctrl-C to stop.') ? resolve('started') : setTimeout(check, 100));
        check();
      }),
      first.exited,
    ]);
    expect(started, JSON.stringify(started)).toBe('started');
    cloudPort = Number(/Local cloud: +https:\/\/127\.0\.0\.1:(\d+)/.exec(first.output.stdout)?.[1]);
  }, 120_000);
  afterAll(async () => {
    if (first && first.child.exitCode === null) {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('the banner names the variables that move the ports and the state directory', () => {
    for (const name of ['PAGE_PORT', 'LOCAL_CLOUD_PORT', 'SCOPED_STORAGE_STATE_DIR']) expect(first.output.stdout).toContain(name);
  });

  it('prints no AWS SDK Node version notice once its clients run', async () => {
    const signIn = await fetch(`http://localhost:${pagePort}/config.json`);
    const { outputs } = (await signIn.json()) as { outputs: { tokenServiceUrl: string } };
    const session = await fetch(`${outputs.tokenServiceUrl}/v1/dev/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"startup"}' });
    const { sessionToken } = (await session.json()) as { sessionToken: string };
    // A token request makes the token service call Cognito through the SDK.
    expect((await fetch(`${outputs.tokenServiceUrl}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${sessionToken}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    expect(first.output.stderr).not.toMatch(/NodeVersionSupportWarning|require node >=/);
  });

  it('a second start over the same state directory exits 1 naming the process that holds it, without a stack trace', async () => {
    const second = await launch(MAIN_JOB, [], { SCOPED_STORAGE_STATE_DIR: firstStateDirectory, PAGE_PORT: '0' }).exited;
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`State directory ${firstStateDirectory} is in use by process ${first.child.pid} (started `);
    expect(second.stderr).toContain('stop it or set SCOPED_STORAGE_STATE_DIR');
    expect(second.stderr).not.toMatch(STACK_FRAME);
    expect(first.child.exitCode).toBeNull();
  });

  it('npm run local over the same state directory is refused the same way', async () => {
    const local = await launch(LOCAL_CLOUD_CLI, ['--state-dir', firstStateDirectory], {}).exited;
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(`is in use by process ${first.child.pid}`);
    expect(local.stderr).toContain('--state-dir');
    expect(local.stderr).not.toMatch(STACK_FRAME);
  });

  it('a start whose page port is taken exits 1 naming the port and PAGE_PORT, without a stack trace', async () => {
    const second = await launch(MAIN_JOB, [], { SCOPED_STORAGE_STATE_DIR: join(directory, 'second'), PAGE_PORT: String(pagePort) }).exited;
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Port ${pagePort} (the web page) is already in use`);
    expect(second.stderr).toContain(`PAGE_PORT=${pagePort + 1} npm start`);
    expect(second.stderr).not.toMatch(STACK_FRAME);
    expect(second.stderr).not.toContain('EADDRINUSE');
  });

  it('a start whose local cloud port is taken exits 1 naming the port and LOCAL_CLOUD_PORT', async () => {
    expect(cloudPort).toBeGreaterThan(0);
    const second = await launch(MAIN_JOB, [], { SCOPED_STORAGE_STATE_DIR: join(directory, 'third'), PAGE_PORT: '0', LOCAL_CLOUD_PORT: String(cloudPort) }).exited;
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Port ${cloudPort} (the local cloud) is already in use`);
    expect(second.stderr).toContain('LOCAL_CLOUD_PORT');
    expect(second.stderr).not.toMatch(STACK_FRAME);
  }, 120_000);

  it('npm start -- --help prints the options and the variables and exits 0', async () => {
    const help = await launch(MAIN_JOB, ['--help'], {}).exited;
    expect(help.code, help.stderr).toBe(0);
    for (const name of ['--allowed-host', 'PAGE_PORT', 'LOCAL_CLOUD_PORT', 'LOCAL_CDN_PORT', 'SCOPED_STORAGE_STATE_DIR', 'LOCAL_ALLOWED_HOSTS', 'LOCAL_CLOUD_CREDENTIALS_LIFETIME', 'LOCAL_CLOUD_CLIENT_IDLE_TIMEOUT']) expect(help.stdout).toContain(name);
  });

  it('a client idle timeout that is not a positive number of seconds exits 1 saying so', async () => {
    const refused = await launch(MAIN_JOB, [], { SCOPED_STORAGE_STATE_DIR: join(directory, 'idle'), PAGE_PORT: '0', LOCAL_CLOUD_CLIENT_IDLE_TIMEOUT: 'soon' }).exited;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('LOCAL_CLOUD_CLIENT_IDLE_TIMEOUT must be a number of seconds above 0 (got "soon")');
    expect(refused.stderr).not.toMatch(STACK_FRAME);
  });
});
