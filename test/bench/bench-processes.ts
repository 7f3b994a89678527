import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
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

/** Starts the main job (local cloud + token service) in its own process and waits for its outputs. */
export async function spawnMainJob(stateDirectory: string, environment: Record<string, string> = {}): Promise<BenchProcess & { outputsPath: string }> {
  const job = spawnTsx('infra/local/main-job.ts', [], { PAGE_PORT: '0', SCOPED_STORAGE_STATE_DIR: stateDirectory, ...environment });
  const outputsPath = join(stateDirectory, 'outputs.json');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const outputs = await readFile(outputsPath, 'utf8').then((text) => JSON.parse(text) as { tokenServiceUrl?: string }).catch(() => undefined);
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
