import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdnObjectPath } from '../../../app/library/cdn-address.ts';
import { createNodeRequestHandler, readStorageOutputsFile } from '../../../app/library/node/create-node-storage-client.ts';
import { isIdentityId } from '../../../app/library/object-keys.ts';
import { defaultAccessRules } from '../../../infra/access-rules/index.ts';
import { classifyFailure } from '../../../infra/deployment-verification/matrix-attempts.ts';
import { keyClassesFor, type KeyClass } from '../../../infra/deployment-verification/matrix-key-classes.ts';
import { s3EndpointOf, signInPersona } from '../../../infra/deployment-verification/matrix-personas.ts';
import { foreignSecrets, plantSentinels } from '../../../infra/deployment-verification/matrix-sentinels.ts';
import { newMatrixWorld, secretKey, type MatrixWorld, type Persona, type PersonaName } from '../../../infra/deployment-verification/matrix-world.ts';
import { startMainJob, type RunningMainJob } from '../../../infra/local/main-job.ts';
import { developmentSession } from '../../bench/bench-processes.ts';

// The security matrix (infra/deployment-verification, run by test/reliability/security-matrix.test.ts
// and `npm run verify`) asks for CDN links and cookies on every key class whose read it tries. It
// leaves out the classes it cannot read there (shared/ and the protected and public neighbours of
// the persona's own folders: nobody may write them, so they hold no object). This suite seeds
// those keys through an earlier deployment and asks the same of them: the token service signs a
// link to the key exactly when the persona's own credentials may GetObject it.

const RULES = defaultAccessRules({ allowGuests: true });
const SIGNED_IN: Array<[PersonaName, string | undefined]> = [
  ['alice', 'acme'],
  ['bob', 'globex'],
  ['carol', undefined],
];

/** How a caller names a full key to the token service: the location whose prefix heads it, and the key relative to that. */
function linkRequestFor(fullKey: string): { location: string; key: string } | undefined {
  const heads: Array<[string, RegExp]> = [
    ['private', /^users\/[^/]*\//],
    ['protected', /^protected\//],
    ['public', /^public\//],
    ['shared', /^shared\//],
    ['team', /^tenants\/[^/]*\//],
  ];
  for (const [location, head] of heads) {
    const match = head.exec(fullKey);
    if (match) return { location, key: fullKey.slice(match[0].length) };
  }
  return undefined;
}

type Decision = 'allowed' | 'denied';

/** Keys the library refuses in its locations (app/library/object-keys.ts), and the token service with it. */
function refusedByTheLibrary(fullKey: string): boolean {
  const segments = fullKey.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return true;
  return (segments[0] === 'protected' || segments[0] === 'public') && segments.length > 2 && !isIdentityId(segments[1]!);
}

/**
 * S3 answers a GetObject of a missing key 403, not 404, to a caller without an unconditional
 * s3:ListBucket: an allowed read of a key nobody wrote looks denied. So the keys the rules let
 * someone read but no persona may write (shared/, another identity's protected and public
 * folders named by an id nobody has) are written first, by an earlier deployment on the same
 * state whose rules let signed-in identities write there.
 */
async function seedReadableKeysNobodyWrites(stateDirectory: string): Promise<void> {
  const seedingRules = [
    { name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read' as const, 'write' as const] } },
    // Sessions with a tenant are tagged, which the roles' trust policy admits only when a rule uses the tag.
    ...RULES.filter((rule) => rule.name === 'team'),
    ...['shared', 'protected', 'public'].map((top) => ({ name: `seed-${top}`, prefix: `${top}/`, grants: { authenticated: ['write' as const] } })),
  ];
  const seeding = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { allowGuests: false, accessRules: seedingRules }, tokenServiceLog: false });
  try {
    const outputs = await readStorageOutputsFile(seeding.cloud.outputsPath);
    const requestHandler = await createNodeRequestHandler(outputs);
    const world = newMatrixWorld({ bucket: outputs.bucket, region: outputs.region, s3Endpoint: s3EndpointOf(outputs), guestsAllowed: true, runTag: 'links' });
    for (const [name, tenant] of SIGNED_IN) {
      const persona = await signInPersona(outputs, requestHandler, name, await developmentSession(seeding.tokenService.url, name, tenant));
      for (const base of ['shared/', `protected/${persona.identityId}0/`, `public/${persona.identityId}0/`]) {
        await persona.s3.send(new PutObjectCommand({ Bucket: outputs.bucket, Key: secretKey(world, base), Body: `seeded ${base}` }));
      }
    }
    requestHandler.destroy();
  } finally {
    await seeding.close();
  }
}

/** The key classes the matrix leaves out of its reads (readable, but no persona may write them), which this suite seeds. */
const seededClasses = (world: MatrixWorld, persona: Persona): KeyClass[] => keyClassesFor(world, persona).filter((keyClass) => keyClass.readsNothing || keyClass.name.startsWith('shared/'));

describe('link decisions equal S3 decisions for the keys the security matrix cannot read', () => {
  let stateDirectory: string;
  let job: RunningMainJob;
  let requestHandler: NodeHttpHandler;
  let world: MatrixWorld;
  const sessions = new Map<PersonaName, string>();

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'delivery-matrix-'));
    await seedReadableKeysNobodyWrites(stateDirectory);
    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { allowGuests: true, accessRules: RULES }, tokenServiceLog: false });
    const outputs = await readStorageOutputsFile(job.cloud.outputsPath);
    requestHandler = await createNodeRequestHandler(outputs);
    world = newMatrixWorld({ bucket: outputs.bucket, region: outputs.region, s3Endpoint: s3EndpointOf(outputs), ca: await readFile(job.cloud.caCertificatePath), guestsAllowed: true, runTag: 'links' });
    for (const [name, tenant] of SIGNED_IN) {
      const session = await developmentSession(job.tokenService.url, name, tenant);
      sessions.set(name, session);
      world.personas.set(name, await signInPersona(outputs, requestHandler, name, session));
    }
    world.personas.set('guest', await signInPersona(outputs, requestHandler, 'guest', undefined));
    await plantSentinels(world);
  });
  afterAll(async () => {
    await job?.close();
    requestHandler?.destroy();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  /** S3's answer to the persona's own GetObject: allowed (the object, or NoSuchKey after authorization) or denied. */
  async function s3Decision(persona: Persona, key: string): Promise<{ decision: Decision; body?: string }> {
    try {
      const answer = await persona.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: key }));
      return { decision: 'allowed', body: await answer.Body!.transformToString() };
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return { decision: 'allowed' };
      const { outcome, detail } = classifyFailure(error);
      if (outcome !== 'denied') throw new Error(`GetObject ${key} as ${persona.name}: ${detail}`);
      return { decision: 'denied' };
    }
  }

  /** POST /v1/links with the persona's session, waiting out the per-user rate limit. */
  async function requestLink(persona: Persona, body: { location: string; key: string }): Promise<{ status: number; url?: string; code?: string }> {
    for (;;) {
      const response = await fetch(`${job.tokenService.url}/v1/links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessions.get(persona.name)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { url?: string; error?: { code: string } };
      if (response.status === 429) {
        await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      return { status: response.status, ...(answer.url ? { url: answer.url } : {}), ...(answer.error ? { code: answer.error.code } : {}) };
    }
  }

  it('signs a link to a seeded key exactly when the persona may read it, and the link opens it through the CDN', { timeout: 180_000 }, async () => {
    const cdnUrl = job.cloud.cdnUrl!;
    const rows: string[] = [];
    const mismatches: string[] = [];
    const tally = { allowed: 0, denied: 0, refusedKeys: 0, openedThroughCdn: 0 };
    await Promise.all(
      SIGNED_IN.map(async ([name]) => {
        const persona = world.personas.get(name)!;
        for (const keyClass of seededClasses(world, persona)) {
          const fullKey = keyClass.readKey;
          const s3 = await s3Decision(persona, fullKey);
          const request = linkRequestFor(fullKey);
          const link = request ? await requestLink(persona, request) : undefined;
          const linkKey = link?.url ? decodeURIComponent(new URL(link.url).pathname.slice(1)) : undefined;
          // A link to this very key; a 200 that resolved elsewhere (into the caller's own folder or tenant) is a link to another key.
          const linkDecision: Decision = linkKey === fullKey ? 'allowed' : 'denied';
          rows.push(`${name} ${keyClass.name}: S3 ${s3.decision}, link ${link ? `${link.status}${link.code ? ` ${link.code}` : ''}` : 'not expressible'}${linkKey && linkKey !== fullKey ? ` (to ${linkKey})` : ''}`);
          if (linkKey !== undefined) {
            // Whatever a link points to, the persona's own credentials may read it.
            expect((await s3Decision(persona, linkKey)).decision, `${name} ${keyClass.name}: link to ${linkKey}`).toBe('allowed');
            expect(new URL(link!.url!).pathname).toBe(`/${cdnObjectPath(linkKey)}`);
          }
          if (refusedByTheLibrary(fullKey)) {
            // Narrower than S3 on purpose, as the library's keys: no dot segments (URLs would normalize them
            // away), and a protected or public folder named by an identity id; refused before any policy.
            expect(link, `${name} ${keyClass.name}`).toMatchObject({ status: 400, code: 'invalid_request' });
            tally.refusedKeys++;
            continue;
          }
          if (linkDecision !== s3.decision) mismatches.push(rows.at(-1)!);
          tally[linkDecision]++;
          if (linkDecision === 'allowed' && s3.body !== undefined) {
            const read = await fetch(link!.url!);
            const text = await read.text();
            expect(read.status, `${name} ${keyClass.name} through the CDN`).toBe(200);
            expect(text).toBe(s3.body);
            expect(foreignSecrets(world, persona).some((secret) => text.includes(secret))).toBe(false);
            tally.openedThroughCdn++;
          }
        }
      }),
    );
    console.log(`[delivery matrix] ${rows.length} persona x key class pairs: ${tally.allowed} allowed, ${tally.denied} denied (both ways), ${tally.refusedKeys} keys the library refuses, ${tally.openedThroughCdn} links opened through ${cdnUrl}`);
    expect(mismatches).toEqual([]);
    // Each signed-in persona: shared/ linked and opened; its protected and public neighbours (not an identity id) refused by the library.
    expect(tally).toEqual({ allowed: 3, denied: 0, refusedKeys: 6, openedThroughCdn: 3 });
    const classNames = new Set(rows.map((row) => row.split(':')[0]!.split(' ').slice(1).join(' ')));
    expect([...classNames].sort()).toEqual(['protected neighbour protected/<self>0/', 'public neighbour public/<self>0/', 'shared/ (read-only)']);
  });
  it("opens through the CDN with the persona's cookies exactly the seeded keys its credentials may read", { timeout: 180_000 }, async () => {
    const cdnUrl = job.cloud.cdnUrl!;
    const mismatches: string[] = [];
    const tally = { opened: 0, refused: 0 };
    await Promise.all(
      SIGNED_IN.map(async ([name]) => {
        const persona = world.personas.get(name)!;
        const response = await fetch(`${job.tokenService.url}/v1/links/cookies`, { method: 'POST', headers: { authorization: `Bearer ${sessions.get(name)}` } });
        expect(response.status).toBe(200);
        const { cookieSets } = (await response.json()) as { cookieSets: Array<{ path: string; cookies: Record<string, string> }> };
        for (const keyClass of seededClasses(world, persona)) {
          const fullKey = keyClass.readKey;
          if (refusedByTheLibrary(fullKey)) continue;
          const s3 = await s3Decision(persona, fullKey);
          // Only keys that hold an object: the CDN relays S3's own answer for a missing one.
          if (s3.decision === 'allowed' && s3.body === undefined) continue;
          const path = `/${cdnObjectPath(fullKey)}`;
          // As a browser sends cookies: every set whose Path is a prefix of the request's path.
          const cookie = cookieSets
            .filter((set) => path.startsWith(set.path))
            .flatMap((set) => Object.entries(set.cookies).map(([cookieName, value]) => `${cookieName}=${value}`))
            .join('; ');
          const read = await fetch(`${cdnUrl}${path}`, { headers: cookie ? { cookie } : {} });
          const text = await read.text();
          const cdnDecision: Decision = read.status === 200 ? 'allowed' : 'denied';
          if (read.status !== 200 && read.status !== 403) mismatches.push(`${name} ${keyClass.name}: CDN answered ${read.status}`);
          if (cdnDecision !== s3.decision) mismatches.push(`${name} ${keyClass.name}: S3 ${s3.decision}, CDN with cookies ${read.status}`);
          if (cdnDecision === 'allowed') expect(text).toBe(s3.body);
          expect(foreignSecrets(world, persona).some((secret) => text.includes(secret)), `${name} ${keyClass.name}`).toBe(false);
          tally[cdnDecision === 'allowed' ? 'opened' : 'refused']++;
        }
      }),
    );
    console.log(`[delivery matrix] cookies: ${tally.opened} keys opened, ${tally.refused} refused by the CDN, as S3 decides for the same personas`);
    expect(mismatches).toEqual([]);
    // shared/ opens for every signed-in persona (the neighbours are keys the library refuses, left out above).
    expect(tally).toEqual({ opened: 3, refused: 0 });
  });
});
