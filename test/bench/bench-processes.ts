import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A helper process the benchmarks measure from the outside (its own CPU, its own memory). */
export interface BenchProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

export function spawnTsx(script: string, args: string[], environment: Record<string, string> = {}): BenchProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (code && code !== 0) process.stderr.write(`${script} exited with ${code ?? signal}: ${stderr}\n`);
  });
  return {
    child,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** The first line a process prints that parses as JSON. */
export function firstJsonLine<T>(processHandle: BenchProcess, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('no JSON line from the benchmark process in time')), timeoutMs);
    processHandle.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as T;
          clearTimeout(timer);
          resolve(parsed);
          return;
        } catch {
          // A partial line; wait for more.
        }
      }
    });
    processHandle.child.once('exit', (code) => reject(new Error(`benchmark process exited (${code}) before printing JSON`)));
  });
}

/** Current resident memory (VmRSS) of a process, in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Peak resident memory (VmHWM) of a process, in bytes. */
export async function peakResidentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Resets a process's peak-memory mark, so the next reading covers only what follows. */
export async function resetPeakResident(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

/**
 * Starts the main job (local cloud + token service) in its own process and waits for its outputs.
 * On a restart the state directory still holds the previous run's outputs file: only one
 * written after this spawn counts as the job being up.
 */
export async function spawnMainJob(stateDirectory: string, environment: Record<string, string> = {}): Promise<BenchProcess & { outputsPath: string }> {
  const outputsPath = join(stateDirectory, 'outputs.json');
  const spawnedAt = Date.now();
  const job = spawnTsx('infra/local/main-job.ts', [], { PAGE_PORT: '0', SCOPED_STORAGE_STATE_DIR: stateDirectory, ...environment });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const written = await stat(outputsPath).then((info) => info.mtimeMs >= spawnedAt, () => false);
    const outputs = written ? await readFile(outputsPath, 'utf8').then((text) => JSON.parse(text) as { tokenServiceUrl?: string }).catch(() => undefined) : undefined;
    if (outputs?.tokenServiceUrl) return { ...job, outputsPath };
    if (job.child.exitCode !== null) throw new Error('the main job exited during start-up');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await job.stop();
  throw new Error('the main job did not start within 2 minutes');
}

/** Signs in through the local token service's development sign-in. */
export async function developmentSession(tokenServiceUrl: string, user: string, tenant?: string): Promise<string> {
  const response = await fetch(`${tokenServiceUrl}/v1/dev/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, tenant }) });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { sessionToken: string }).sessionToken;
}

/** Spawns any command (not through a shell) as a measured process; for servers that are not Node scripts. */
export function spawnCommand(command: string, args: string[]): BenchProcess & { output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', () => undefined);
  return {
    child,
    pid: child.pid ?? 0,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, all threads) a process has used so far, from its own
 * /proc/<pid>/stat: utime and stime are fields 14 and 15, counted after the command name's `)`
 * because the name may hold spaces. Linux reports them in USER_HZ, 100 per second.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) is fields[12].
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The command line of a process, to check a measurement is of the server and not a wrapper. */
export async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
}

/** Waits until a process has used no CPU for `quietMs` (start-up work done), or `timeoutMs` passed. */
export async function waitForIdleProcess(pid: number, quietMs = 1000, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  let last = await cpuSeconds(pid);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await cpuSeconds(pid);
    if (now !== last) quietSince = Date.now();
    last = now;
    if (Date.now() - quietSince >= quietMs) return;
  }
}

/** Samples VmRSS every `intervalMs` until stopped; gives the largest reading. */
export function sampleResident(pid: number, intervalMs = 50): { stop: () => Promise<number> } {
  let maximum = 0;
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => {
      maximum = Math.max(maximum, await residentBytes(pid).catch(() => 0));
    });
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await sampling;
      return Math.max(maximum, await residentBytes(pid).catch(() => 0));
    },
  };
}

/** A TCP port free on loopback right now (for a server that must keep the same port across restarts). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
