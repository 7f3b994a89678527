import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRequestHandler, readStorageOutputsFile } from '../../app/library/node/create-node-storage-client.ts';
import { defaultAccessRules } from '../../infra/access-rules/index.ts';
import { cleanUpMatrix } from '../../infra/deployment-verification/matrix-cleanup.ts';
import { s3EndpointOf, signInPersona } from '../../infra/deployment-verification/matrix-personas.ts';
import { damagedSentinels, plantSentinels } from '../../infra/deployment-verification/matrix-sentinels.ts';
import { describeAttempt, matrixFigures, matrixTable, summarizeMatrix } from '../../infra/deployment-verification/matrix-summary.ts';
import { newMatrixWorld, type MatrixWorld, type PersonaName } from '../../infra/deployment-verification/matrix-world.ts';
import { runSecurityMatrix } from '../../infra/deployment-verification/run-security-matrix.ts';
import { startMainJob, type RunningMainJob } from '../../infra/local/main-job.ts';
import { developmentSession } from '../bench/bench-processes.ts';

// The matrix itself (personas, key classes per location, attempts, sentinels) lives in
// infra/deployment-verification/, which `npm run verify` runs against a deployment; here it runs
// against the main job in-process, with the suite's assertions.

/** The default locations with guests (private, protected, shared, team, public), as `npm start` runs them. */
const RULES = defaultAccessRules({ allowGuests: true });

describe('security matrix: every S3 operation x key class x persona, with valid credentials', () => {
  let stateDirectory: string;
  let job: RunningMainJob;
  let requestHandler: NodeHttpHandler;
  let world: MatrixWorld;

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'reliability-matrix-'));
    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { allowGuests: true, accessRules: RULES }, tokenServiceLog: false });
    const outputs = await readStorageOutputsFile(job.cloud.outputsPath);
    requestHandler = await createNodeRequestHandler(outputs);
    world = newMatrixWorld({ bucket: outputs.bucket, region: outputs.region, s3Endpoint: s3EndpointOf(outputs), ca: await readFile(job.cloud.caCertificatePath), ...(outputs.cdnUrl ? { cdnUrl: outputs.cdnUrl } : {}), guestsAllowed: true, runTag: 'matrix' });
    // npm start delivers through the local CDN, so the matrix asks for CDN links and cookies too.
    expect(world.cdnUrl).toMatch(/^https?:\/\/localhost:\d+$/);
    for (const [name, tenant] of [
      ['alice', 'acme'],
      ['bob', 'globex'],
      ['carol', undefined],
    ] as const) {
      world.personas.set(name, await signInPersona(outputs, requestHandler, name, await developmentSession(job.tokenService.url, name, tenant)));
    }
    world.personas.set('guest', await signInPersona(outputs, requestHandler, 'guest', undefined));
    await plantSentinels(world);
  });
  afterAll(async () => {
    await job?.close();
    requestHandler?.destroy();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('no forbidden attempt succeeds, and every allowed control does, and the clean-up leaves nothing', { timeout: 180_000 }, async () => {
    expect([...world.personas.values()].map((persona) => persona.tenant)).toEqual(['acme', 'globex', undefined, undefined]);
    const attempts = await runSecurityMatrix(world);
    const summary = summarizeMatrix(attempts, await damagedSentinels(world));
    console.log(`[security matrix] ${matrixFigures(summary)}\n${matrixTable(attempts)}`);
    const show = (entries: typeof attempts) => entries.slice(0, 40).map(describeAttempt);
    expect(show(summary.forbiddenAllowed)).toEqual([]);
    expect(show(summary.leaks)).toEqual([]);
    expect(summary.damaged).toEqual([]);
    expect(show(summary.controlsRefused)).toEqual([]);
    expect(show(summary.forbiddenOdd)).toEqual([]);
    expect(summary.controlsPassed.length).toBeGreaterThan(50);
    // The protected and public locations were really exercised: others read there, and guests read public folders.
    const passed = (persona: PersonaName, operation: string, keyClass: string) => summary.controlsPassed.some((entry) => entry.persona === persona && entry.operation === operation && entry.keyClass === keyClass);
    expect([passed('bob', 'GetObject', "alice's protected folder"), passed('guest', 'GetObject', "alice's public folder"), passed('carol', 'ListObjectsV2', "alice's protected folder")]).toEqual([true, true, true]);
    expect(summary.forbidden.some((entry) => entry.persona === 'guest' && entry.operation === 'GetObject' && entry.keyClass === "alice's protected folder" && entry.outcome === 'denied')).toBe(true);
    expect(new Set(attempts.map((entry) => entry.persona)).size).toBe(4);
    // The upload and delivery paths ran for every persona, on both sides of the rules.
    const operations = ['POST Object', 'presigned PUT (If-None-Match)', 'upload link PUT (library)', 'upload link POST (library)', 'CDN link (library)', 'CDN cookies (library)', 'CDN unsigned GET'];
    for (const operation of operations) {
      expect([operation, summary.controlsPassed.some((entry) => entry.operation === operation)]).toEqual([operation, true]);
      expect([operation, summary.forbidden.some((entry) => entry.operation === operation && entry.outcome === 'denied')]).toEqual([operation, true]);
    }
    expect(summary.forbidden.filter((entry) => entry.operation.startsWith('forged POST form') && entry.outcome === 'denied').length).toBe(4 * 3 + 4);
    expect([passed('guest', 'CDN unsigned GET', "alice's public folder"), passed('bob', 'CDN link (library)', "alice's protected folder"), passed('carol', 'CDN cookies (library)', 'own prefix')]).toEqual([true, true, true]);
    // Where the library refuses to sign an upload link (another identity's folder, a read-only location), the refusal is the denial.
    expect(summary.forbidden.some((entry) => entry.persona === 'bob' && entry.operation === 'upload link PUT (library)' && entry.keyClass === "alice's protected folder" && entry.outcome === 'denied')).toBe(true);
    // What `npm run verify` relies on after a run: every object and upload of the run removed.
    expect(world.writtenKeys.size).toBeGreaterThan(20);
    expect(await cleanUpMatrix(world)).toEqual([]);
  });
});
