import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const REFUSAL = 'Node 22 or newer is needed (this is 20.20.2): see README.md, Quick start\n';

/** What each npm script (and the token service's Node server) runs, with arguments that would otherwise get to work. */
const ENTRY_POINTS: Array<{ name: string; args: string[] }> = [
  { name: 'npm start', args: ['--import', 'tsx', 'infra/local/main-job.ts'] },
  { name: 'npm run local', args: ['--import', 'tsx', 'infra/local/cli.ts', '--port', '0'] },
  { name: 'npm run policy', args: ['--import', 'tsx', 'infra/policy-tools/cli.ts', 'matrix'] },
  { name: 'npm run demo', args: ['--import', 'tsx', 'app/demo/run-demo.ts'] },
  { name: 'npm run storage', args: ['app/cli/bin.mjs', '--help'] },
  { name: 'npm run bench', args: ['--import', 'tsx', 'test/bench/run.ts', '--quick'] },
  { name: "the token service's Node server", args: ['--import', 'tsx', 'token-service/adapters/node-server.ts'] },
  { name: 'npm test', args: ['node_modules/vitest/vitest.mjs', 'run', 'test/unit/node'] },
];

/** Runs Node with `args` in a process that reports `nodeVersion` as its version before anything else is loaded. */
function runReportingVersion(nodeVersion: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const reportVersion = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${nodeVersion}"})`;
  // The child is a vitest run of its own in one case: it must not think it is a worker of this one.
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', reportVersion, ...args], { cwd: REPOSITORY, env: environment, timeout: 50_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? child.exitCode : 0, stdout, stderr });
    });
  });
}

describe('on a Node older than 22', () => {
  it.each(ENTRY_POINTS)('$name stops with exit 1 and one line saying which Node it needs', async ({ args }) => {
    const run = await runReportingVersion('20.20.2', args);
    expect(run.stderr).toBe(REFUSAL);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });

  it('reporting Node 22 the same way lets an entry point run (the refusal is the version check, not the way of reporting it)', async () => {
    const run = await runReportingVersion('22.0.0', ['app/cli/bin.mjs', '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('scoped-storage');
  });
});
