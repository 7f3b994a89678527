import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScopedStorageClient, StorageError, type StorageOutputs } from '../../../app/library/index.ts';
import { createNodeRequestHandler, readStorageOutputsFile } from '../../../app/library/node/create-node-storage-client.ts';
import type { AccessRule } from '../../../infra/access-rules/access-rule.ts';
import { defaultAccessRules } from '../../../infra/access-rules/default-access-rules.ts';
import { startMainJob, type RunningMainJob } from '../../../infra/local/main-job.ts';
import { createTokenServiceCognitoClient } from '../../../infra/local/token-service-cognito-client.ts';
import { startTokenServiceServer, type RunningTokenService } from '../../../token-service/adapters/node-server.ts';
import { createDevelopmentAuthenticator } from '../../../token-service/authenticators/development-authenticator.ts';
import { developmentSessionToken } from '../client/main-job-fixture.ts';

/** The defaults with guests, and a write-only drop box whose owner may not read it back (a link there is refused by the rules). */
const RULES: AccessRule[] = [...defaultAccessRules({ allowGuests: true }), { name: 'inbox', prefix: 'inbox/{identityId}/', grants: { owner: ['write'] } }];

let stateDirectory: string;
let job: RunningMainJob;
let outputs: StorageOutputs;
let alice: ScopedStorageClient;
let bob: ScopedStorageClient;
let guest: ScopedStorageClient;
let aliceId: string;
let bobId: string;

async function clientFor(user: string | undefined, tenant?: string, overrides: Partial<StorageOutputs> = {}): Promise<ScopedStorageClient> {
  const session = user === undefined ? undefined : await developmentSessionToken(job.tokenService.url, user, tenant);
  return new ScopedStorageClient({ outputs: { ...outputs, ...overrides }, requestHandler: await createNodeRequestHandler(outputs), ...(session === undefined ? {} : { getSessionToken: () => session }) });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return (error as StorageError).code;
  }
  return 'no error';
}

beforeAll(async () => {
  stateDirectory = await mkdtemp(join(tmpdir(), 'delivery-client-'));
  job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { allowGuests: true, accessRules: RULES }, tokenServiceLog: false });
  outputs = await readStorageOutputsFile(job.cloud.outputsPath);
  [alice, bob, guest] = await Promise.all([clientFor('alice', 'acme'), clientFor('bob', 'globex'), clientFor(undefined)]);
  aliceId = (await alice.whoami()).identityId;
  bobId = (await bob.whoami()).identityId;
  await Promise.all([
    alice.upload('private', 'photos/a.txt', 'alice private'),
    alice.upload('public', `${aliceId}/logo.txt`, 'alice public'),
    alice.upload('team', 'plan.txt', 'acme plan'),
    bob.upload('private', 'b.txt', 'bob private'),
    bob.upload('protected', `${bobId}/cv.txt`, 'bob protected'),
  ]);
});
afterAll(async () => {
  await job?.close();
  await rm(stateDirectory, { recursive: true, force: true });
});

describe('the outputs name the CDN', () => {
  it('reads cdnUrl and encryptionHeaderRequired from the local outputs file', () => {
    expect(outputs.cdnUrl).toBe(job.cloud.cdnUrl);
    expect(outputs.encryptionHeaderRequired).toBe(false);
  });
});

describe('client.cdnLink', () => {
  it('signs a link to an own file that opens through the CDN for an hour by default', async () => {
    const before = Date.now();
    const link = await alice.cdnLink('private', 'photos/a.txt');
    expect(link.url.startsWith(`${outputs.cdnUrl}/users/${encodeURIComponent(aliceId)}/photos/a.txt?`)).toBe(true);
    expect(link.expiresAt.getTime() - before).toBeGreaterThan(3_590_000);
    expect(link.expiresAt.getTime() - before).toBeLessThan(3_610_000);
    const read = await fetch(link.url);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('alice private');
  });

  it("signs links to another identity's protected file and the own tenant's, with a lifetime and a download name", async () => {
    const protectedLink = await alice.cdnLink('protected', `${bobId}/cv.txt`, { expiresInSeconds: 60, fileName: 'Bob CV.txt' });
    expect(protectedLink.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(61_000);
    const read = await fetch(protectedLink.url);
    expect(await read.text()).toBe('bob protected');
    expect(read.headers.get('content-disposition')).toBe('attachment; filename="Bob CV.txt"');
    expect(await (await fetch((await alice.cdnLink('team', 'plan.txt')).url)).text()).toBe('acme plan');
  });

  it("refuses with LinkDenied what the rules do not let the caller read, and never reaches another identity's private file", async () => {
    await alice.upload('inbox', 'drop.txt', 'dropped');
    expect(await codeOf(alice.cdnLink('inbox', 'drop.txt'))).toBe('LinkDenied');
    // The private location always resolves to the caller's own folder; a path out of it is refused before asking.
    expect(await codeOf(alice.cdnLink('private', `../${bobId}/b.txt`))).toBe('InvalidKey');
    // The same name is a file of alice's own folder, which does not exist: the CDN relays S3's 403 to its origin access (no s3:ListBucket).
    const ownNamesake = await fetch((await alice.cdnLink('private', 'b.txt')).url);
    expect(ownNamesake.status).toBe(403);
    expect(await ownNamesake.text()).not.toContain('bob private');
  });

  it('checks keys and options as the library does, before asking', async () => {
    expect(await codeOf(alice.cdnLink('protected', 'cv.txt'))).toBe('InvalidKey');
    expect(await codeOf(alice.cdnLink('nowhere', 'a.txt'))).toBe('InvalidLocation');
    expect(await codeOf(alice.cdnLink('private', 'a.txt', { disposition: 'download' as 'inline' }))).toBe('InvalidArgument');
    // CloudFront reads `*` in a signed address as a wildcard: a link to `t/*` would open every key under t/.
    expect(await codeOf(alice.cdnLink('private', 't/*'))).toBe('InvalidKey');
    expect(await codeOf(alice.cdnLink('private', 'a.txt', { expiresInSeconds: 604_801 }))).toBe('ServiceError');
  });

  it('needs a signed-in session: a guest gets SignInRequired', async () => {
    expect(await codeOf(guest.cdnLink('public', `${aliceId}/logo.txt`))).toBe('SignInRequired');
    expect(await codeOf(guest.cdnCookies())).toBe('SignInRequired');
  });
});

describe('client.cdnCookies', () => {
  it('gives cookie sets that open files in their location and not in another', async () => {
    const { expiresAt, cookieSets } = await alice.cdnCookies({ expiresInSeconds: 600 });
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(601_000);
    expect(cookieSets.map((set) => set.location)).toEqual(['private', 'protected', 'shared', 'team', 'public']);
    const cookieOf = (location: string) =>
      Object.entries(cookieSets.find((set) => set.location === location)!.cookies)
        .map(([name, value]) => `${name}=${value}`)
        .join('; ');
    const get = (path: string, cookie: string) => fetch(`${outputs.cdnUrl}${path}`, { headers: { cookie } });
    const ownFile = `/users/${encodeURIComponent(aliceId)}/photos/a.txt`;
    expect(await (await get(ownFile, cookieOf('private'))).text()).toBe('alice private');
    expect((await get(`/users/${encodeURIComponent(bobId)}/b.txt`, cookieOf('private'))).status).toBe(403);
    // One location's cookies do not open another location's files.
    expect((await get(ownFile, cookieOf('team'))).status).toBe(403);
    expect((await get(ownFile, cookieOf('protected'))).status).toBe(403);
    expect((await get('/tenants/acme/plan.txt', cookieOf('private'))).status).toBe(403);
    expect(await (await get('/tenants/acme/plan.txt', cookieOf('team'))).text()).toBe('acme plan');
    expect(await (await get(`/protected/${encodeURIComponent(bobId)}/cv.txt`, cookieOf('protected'))).text()).toBe('bob protected');
    // Another tenant's cookies do not open acme's folder.
    const bobCookies = await bob.cdnCookies();
    const bobTeam = Object.entries(bobCookies.cookieSets.find((set) => set.location === 'team')!.cookies).map(([name, value]) => `${name}=${value}`).join('; ');
    expect((await get('/tenants/acme/plan.txt', bobTeam)).status).toBe(403);
  });

  it("never opens another identity's file with crafted paths under the own folder's cookies", async () => {
    const { cookieSets } = await alice.cdnCookies();
    const cookie = Object.entries(cookieSets.find((set) => set.location === 'private')!.cookies).map(([name, value]) => `${name}=${value}`).join('; ');
    const own = `/users/${encodeURIComponent(aliceId)}`;
    const bobFolder = encodeURIComponent(bobId);
    const crafted = [`${own}/../${bobFolder}/b.txt`, `${own}/..%2F${bobFolder}/b.txt`, `${own}/%2E%2E/${bobFolder}/b.txt`, `${own}%2F..%2F${bobFolder}/b.txt`, `${own}/./../${bobFolder}/b.txt`, `${own}//../${bobFolder}/b.txt`, `${own}/%252E%252E/${bobFolder}/b.txt`];
    const cdn = new URL(outputs.cdnUrl!);
    for (const path of crafted) {
      // Sent as written: fetch() would resolve the dot segments before sending.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        httpRequest({ host: cdn.hostname, port: cdn.port, path, headers: { cookie } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
      expect(answer.body, path).not.toContain('bob private');
      expect(answer.status, path).not.toBe(200);
    }
  });

  it('reports the cookies as Set-Cookie headers too, for a browser to keep', async () => {
    const response = await fetch(`${job.tokenService.url}/v1/links/cookies`, { method: 'POST', headers: { authorization: `Bearer ${await developmentSessionToken(job.tokenService.url, 'alice', 'acme')}` }, credentials: 'include' });
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('CloudFront-Signature=') && cookie.includes(`Path=/users/${encodeURIComponent(aliceId)}/`))).toBe(true);
  });
});

describe('client.publicUrl', () => {
  it('gives the unsigned address of a file in the public location, which anyone opens', async () => {
    const url = await alice.publicUrl('public', `${aliceId}/logo.txt`);
    expect(url).toBe(`${outputs.cdnUrl}/public/${encodeURIComponent(aliceId)}/logo.txt`);
    expect(await (await fetch(url)).text()).toBe('alice public');
    expect(await guest.publicUrl('public', `${aliceId}/logo.txt`)).toBe(url);
  });

  it('refuses locations guests may not read, and keys outside an identity folder', async () => {
    expect(await codeOf(alice.publicUrl('private', 'photos/a.txt'))).toBe('InvalidLocation');
    expect(await codeOf(alice.publicUrl('shared', 'a.txt'))).toBe('InvalidLocation');
    expect(await codeOf(alice.publicUrl('public', 'logo.txt'))).toBe('InvalidKey');
    // The same file's signed-only neighbour is refused by the CDN without a signature.
    expect((await fetch(`${outputs.cdnUrl}/users/${encodeURIComponent(aliceId)}/photos/a.txt`)).status).toBe(403);
  });
});

describe('without delivery', () => {
  let plainTokenService: RunningTokenService;
  beforeAll(async () => {
    plainTokenService = await startTokenServiceServer({
      cognito: await createTokenServiceCognitoClient(job.cloud),
      identityPoolId: outputs.identityPoolId,
      developerProviderName: outputs.developerProviderName,
      authenticator: createDevelopmentAuthenticator({ secret: randomBytes(32) }),
      logSink: () => undefined,
    });
  });
  afterAll(async () => {
    await plainTokenService?.close();
  });

  it('answers DeliveryNotConfigured for outputs without cdnUrl, before any request', async () => {
    const { cdnUrl: _cdnUrl, ...withoutCdn } = outputs;
    const client = new ScopedStorageClient({ outputs: withoutCdn, requestHandler: await createNodeRequestHandler(outputs), getSessionToken: () => Promise.reject(new Error('no request may be made')) });
    expect(await codeOf(client.cdnLink('private', 'a.txt'))).toBe('DeliveryNotConfigured');
    expect(await codeOf(client.cdnCookies())).toBe('DeliveryNotConfigured');
    expect(await codeOf(client.publicUrl('public', `${aliceId}/logo.txt`))).toBe('DeliveryNotConfigured');
  });

  it("answers DeliveryNotConfigured for the token service's 404 delivery_not_configured", async () => {
    const session = await developmentSessionToken(plainTokenService.url, 'alice', 'acme');
    const client = new ScopedStorageClient({ outputs: { ...outputs, tokenServiceUrl: plainTokenService.url }, requestHandler: await createNodeRequestHandler(outputs), getSessionToken: () => session });
    expect(await codeOf(client.cdnLink('private', 'photos/a.txt'))).toBe('DeliveryNotConfigured');
    expect(await codeOf(client.cdnCookies())).toBe('DeliveryNotConfigured');
  });
});
