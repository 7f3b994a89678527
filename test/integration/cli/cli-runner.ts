import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CLI_BIN = fileURLToPath(new URL('../../../app/cli/bin.mjs', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI as a user's script runs it: a child process in `cwd`, with the outputs file and home
 * directory given by flags, not by the caller's environment.
 */
export function runCli(args: string[], options: { outputsPath: string; home: string; cwd: string }): Promise<CliRun> {
  const { SCOPED_STORAGE_OUTPUTS: _outputs, SCOPED_STORAGE_HOME: _home, ...environment } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BIN, '--outputs', options.outputsPath, '--home', options.home, ...args], { cwd: options.cwd, env: environment }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The JSON a successful run printed. */
export function jsonOf<T>(run: CliRun): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}
