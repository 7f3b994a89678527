import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAccessRules, publishedLocations } from '../../../infra/access-rules/index.ts';
import { startMainJob, type RunningMainJob } from '../../../infra/local/main-job.ts';

/** What `npm start` publishes: the outputs file and the page's /config.json carry the locations and guest mode. */
describe('the local main job publishes locations and guest mode', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function start(stack?: { allowGuests: boolean }): Promise<RunningMainJob> {
    const stateDirectory = await mkdtemp(join(tmpdir(), 'locations-main-job-'));
    const job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, tokenServiceLog: false, ...(stack ? { stack } : {}) });
    cleanups.push(async () => {
      await job.close();
      await rm(stateDirectory, { recursive: true, force: true });
    });
    return job;
  }

  const published = async (job: RunningMainJob) => {
    const file = JSON.parse(await readFile(job.cloud.outputsPath, 'utf8')) as { locations: unknown; guestsAllowed: unknown };
    const page = ((await (await fetch(new URL('/config.json', job.page.url))).json()) as { outputs: { locations: unknown; guestsAllowed: unknown } }).outputs;
    return { file: { locations: file.locations, guestsAllowed: file.guestsAllowed }, page: { locations: page.locations, guestsAllowed: page.guestsAllowed } };
  };

  it('runs with guests by default: the guest private folder and the public location, in the file and on the page', async () => {
    const expected = { locations: publishedLocations(defaultAccessRules({ allowGuests: true })), guestsAllowed: true };
    expect(await published(await start())).toEqual({ file: expected, page: expected });
  }, 120_000);

  it('keeps the option to run without guests', async () => {
    const expected = { locations: publishedLocations(defaultAccessRules({ allowGuests: false })), guestsAllowed: false };
    expect(await published(await start({ allowGuests: false }))).toEqual({ file: expected, page: expected });
  }, 120_000);
});
