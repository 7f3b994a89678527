import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(new URL('../../../infra/local/keep-serving-after-stray-errors.ts', import.meta.url));

/** Runs a script in a Node process of its own (the guard changes process-wide behaviour). */
function runScript(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('keepServingAfterStrayErrors (the second line behind owned streams)', () => {
  it('logs a stray stream error and a stray rejection as internal errors, and the process keeps running', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { PassThrough } from 'node:stream';
      const { keepServingAfterStrayErrors } = await import(${JSON.stringify(GUARD)});
      keepServingAfterStrayErrors();
      new PassThrough().destroy(new Error('a stream nobody listens to'));
      void Promise.reject(new Error('a promise nobody awaits'));
      setTimeout(() => { console.log('still serving'); process.exit(0); }, 200);
    `);
    expect(code).toBe(0);
    expect(stdout).toContain('still serving');
    expect(stderr).toContain('internal error (uncaught exception; still serving, please report it): Error: a stream nobody listens to');
    expect(stderr).toContain('internal error (unhandled rejection; still serving, please report it): Error: a promise nobody awaits');
  });

  it('without it, the same stray stream error ends the process (what it guards against)', async () => {
    const { code, stdout } = await runScript(`
      import { PassThrough } from 'node:stream';
      new PassThrough().destroy(new Error('a stream nobody listens to'));
      setTimeout(() => { console.log('still serving'); process.exit(0); }, 200);
    `);
    expect(code).not.toBe(0);
    expect(stdout).not.toContain('still serving');
  });
});
