import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type RunningLocalCloud } from '../../../infra/local/local-cloud.ts';
import type { LocalCloudOptions } from '../../../infra/local/local-cloud-options.ts';

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
});
