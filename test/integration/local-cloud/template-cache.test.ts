import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type RunningLocalCloud } from '../../../infra/local/local-cloud.ts';
import type { LocalCloudOptions } from '../../../infra/local/local-cloud-options.ts';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CHILD = join(REPOSITORY, 'test/integration/local-cloud/start-cloud-in-child.ts');
const run = promisify(execFile);

/** Starts and stops the local cloud in a child process; reports whether aws-cdk-lib was resolved there. */
async function startInChild(options: LocalCloudOptions): Promise<{ identityPoolId: string; cdkSpecifiers: string[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { cwd: REPOSITORY });
  return JSON.parse(stdout) as { identityPoolId: string; cdkSpecifiers: string[] };
}

/**
 * Restarts of the local cloud over one state directory and one template cache: an unchanged
 * restart runs the cached template (no cloud assembly written), a changed stack option takes
 * effect on the next start.
 */
describe('the local cloud over the template cache', () => {
  let directory: string;
  let stateDirectory: string;
  let templateCacheDirectory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cloud-template-cache-'));
    stateDirectory = join(directory, 'state');
    templateCacheDirectory = join(directory, 'templates');
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function startAndStop(stack: LocalCloudOptions['stack']): Promise<RunningLocalCloud> {
    const cloud = await startLocalCloud({ stateDirectory, templateCacheDirectory, stack });
    await cloud.close();
    return cloud;
  }

  it('runs the same deployment from the cache after a restart, without synthesizing', async () => {
    const first = await startAndStop({ allowGuests: false });
    expect(existsSync(join(stateDirectory, 'cdk.out'))).toBe(true);
    expect(await readdir(templateCacheDirectory)).toHaveLength(1);
    await rm(join(stateDirectory, 'cdk.out'), { recursive: true });

    const second = await startAndStop({ allowGuests: false });
    // Only a synthesis writes the cloud assembly.
    expect(existsSync(join(stateDirectory, 'cdk.out'))).toBe(false);
    expect(second.outputs.identityPoolId).toBe(first.outputs.identityPoolId);
    expect(second.outputs.bucket).toBe(first.outputs.bucket);
    expect(second.outputs.locations).toEqual(first.outputs.locations);
    expect(second.deployment.policies.roles.map((role) => role.arn)).toEqual(first.deployment.policies.roles.map((role) => role.arn));
  }, 120_000);

  it('applies a changed stack option on the next start', async () => {
    const withGuests = await startAndStop({ allowGuests: true });
    expect(withGuests.outputs.guestsAllowed).toBe(true);
    expect(existsSync(join(stateDirectory, 'cdk.out'))).toBe(true);
    expect(await readdir(templateCacheDirectory)).toHaveLength(2);

    const withoutGuests = await startAndStop({ allowGuests: false });
    expect(withoutGuests.outputs.guestsAllowed).toBe(false);
  }, 120_000);

  it('restarts without loading aws-cdk-lib', async () => {
    const options = { stateDirectory: join(directory, 'child-state'), templateCacheDirectory: join(directory, 'child-templates'), stack: { allowGuests: true } };
    const first = await startInChild(options);
    // The hook sees the CDK when a start loads it, so the empty list below means the restart did not.
    expect(first.cdkSpecifiers).toContain('aws-cdk-lib');
    const restart = await startInChild(options);
    expect(restart).toEqual({ identityPoolId: first.identityPoolId, cdkSpecifiers: [] });
  }, 120_000);
});
