import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopedStorageClient } from '../../../app/library/index.ts';
import { startMainJobFixture, type MainJobFixture } from '../client/main-job-fixture.ts';
import { errorCode } from './local-cdn-fixture.ts';

let fixture: MainJobFixture;
let alice: ScopedStorageClient;
let aliceSession: string;
let aliceIdentity: string;

beforeAll(async () => {
  fixture = await startMainJobFixture();
  aliceSession = await fixture.sessionFor('alice');
  alice = await fixture.clientFor('alice');
  aliceIdentity = (await alice.whoami()).identityId;
  await alice.upload('photos/a.txt', 'hello from the CDN');
});

afterAll(async () => {
  await fixture?.close();
});

async function postTokenService(path: string, body: unknown): Promise<Response> {
  return fetch(`${fixture.job.tokenService.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${aliceSession}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('npm start with delivery', () => {
  it('publishes the CDN in the outputs file and in the page config, on the host name localhost', async () => {
    const cdnUrl = fixture.job.cloud.cdnUrl!;
    expect(cdnUrl).toMatch(/^http:\/\/localhost:\d+$/);
    const outputs = JSON.parse(await readFile(fixture.outputsPath, 'utf8')) as { cdnUrl: string; endpoints: { cdn: string } };
    expect(outputs.cdnUrl).toBe(cdnUrl);
    expect(outputs.endpoints.cdn).toBe(cdnUrl);
    const page = (await (await fetch(`${fixture.job.page.url}/config.json`)).json()) as { outputs: { cdnUrl: string; endpoints: { cdn: string; s3: string }; tokenServiceUrl: string } };
    expect(page.outputs.cdnUrl).toBe(cdnUrl);
    expect(page.outputs.endpoints.cdn).toBe(cdnUrl);
    expect(new URL(page.outputs.tokenServiceUrl).hostname).toBe('localhost');
  });

  it('a link from the token service reads the file through the CDN; the same URL unsigned is refused', async () => {
    const response = await postTokenService('/v1/links', { location: 'private', key: 'photos/a.txt', expiresInSeconds: 600 });
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    expect(url.startsWith(`${fixture.job.cloud.cdnUrl!}/users/`)).toBe(true);
    const read = await fetch(url);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('hello from the CDN');
    const unsigned = await fetch(url.split('?')[0]!);
    expect(unsigned.status).toBe(403);
    expect(errorCode(await unsigned.text())).toBe('MissingKey');
  });

  it('a download link carries its Content-Disposition through the CDN', async () => {
    const response = await postTokenService('/v1/links', { location: 'private', key: 'photos/a.txt', disposition: 'attachment', fileName: 'a.txt' });
    const { url } = (await response.json()) as { url: string };
    const read = await fetch(url);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-disposition')).toContain('attachment');
  });

  it('the cookies the token service sets open the caller\'s folder on the CDN and not another identity\'s', async () => {
    const response = await postTokenService('/v1/links/cookies', {});
    expect(response.status).toBe(200);
    const { cookieSets } = (await response.json()) as { cookieSets: Array<{ location: string; path: string; cookies: Record<string, string> }> };
    const own = cookieSets.find((set) => set.location === 'private')!;
    expect(own.path).toContain('/users/');
    const cookie = Object.entries(own.cookies).map(([name, value]) => `${name}=${value}`).join('; ');
    const read = await fetch(`${fixture.job.cloud.cdnUrl!}${own.path}photos/a.txt`, { headers: { cookie } });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('hello from the CDN');
    const bob = await fixture.clientFor('bob');
    const bobIdentity = (await bob.whoami()).identityId;
    await bob.upload('b.txt', 'bob only');
    const other = await fetch(`${fixture.job.cloud.cdnUrl!}${own.path.replace(encodeURIComponent(aliceIdentity), encodeURIComponent(bobIdentity)).replace(aliceIdentity, bobIdentity)}b.txt`, { headers: { cookie } });
    expect(other.status).toBe(403);
  });
});
