import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMainJobFixture, type MainJobFixture } from '../integration/client/main-job-fixture.ts';
import { launchChromium, recordUploadStatuses, signInOnPage, startForeignOrigin, uploadStatuses } from './browser-fixture.ts';

/** Above the client's 16 MiB multipart threshold: three 8 MiB parts, so progress has steps. */
const LARGE_FILE_BYTES = 20 * 1024 * 1024;

/** A fetch from inside the page: a status comes back only if CORS let the page read the answer; a refusal rejects. */
async function fetchFromPage(page: Page, url: string, init: { method: string; headers?: Record<string, string> }): Promise<{ status: number } | { refused: string }> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, { ...init, body: init.method === 'PUT' ? 'probe' : undefined });
        return { status: response.status };
      } catch (error) {
        return { refused: String(error) };
      }
    },
    { url, init },
  );
}

describe('the web page in Chromium, on the main job', () => {
  let fixture: MainJobFixture;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alice: Page;
  let aliceIdentity: string;
  const largeFile = randomBytes(LARGE_FILE_BYTES);

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true });
    contexts.push(context);
    return context.newPage();
  }

  function row(page: Page, key: string) {
    return page.locator(`#file-rows tr[data-key="${key}"]`);
  }

  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startMainJobFixture(), launchChromium()]);
    alice = await freshPage();
    aliceIdentity = await signInOnPage(alice, fixture.job.page.url, 'alice', 'acme');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await fixture?.close();
  });

  it('signs in and shows the identity id and when the credentials expire', async () => {
    expect(aliceIdentity).toMatch(/^[a-z0-9-]+:[0-9a-f-]{36}$/);
    const expiry = await alice.getAttribute('#credentials-expiry', 'datetime');
    expect(Date.parse(expiry ?? '')).toBeGreaterThan(Date.now());
    await expect.poll(() => alice.isVisible('#empty')).toBe(true);
  });

  it('uploads a multipart file with a progress bar that moves, then lists it with its size', async () => {
    await recordUploadStatuses(alice);
    await alice.setInputFiles('#file-input', { name: 'video.bin', mimeType: 'application/octet-stream', buffer: largeFile });
    await alice.waitForSelector('#uploads li[data-file="video.bin"][data-state="done"]', { timeout: 60_000 });
    const statuses = await uploadStatuses(alice);
    const percentages = statuses.filter((status) => status.endsWith('%')).map((status) => Number.parseInt(status, 10));
    expect(percentages.some((percent) => percent > 0 && percent < 100), `statuses seen: ${statuses.join(', ')}`).toBe(true);
    expect(statuses.at(-1)).toBe('done');
    expect(await alice.getAttribute('#uploads li[data-file="video.bin"] progress', 'max')).toBe(String(LARGE_FILE_BYTES));
    await expect.poll(() => row(alice, 'video.bin').count()).toBe(1);
    expect(await row(alice, 'video.bin').locator('td').nth(1).textContent()).toBe('20.0 MiB');

    const stored = await (await fixture.clientFor('alice', { tenant: 'acme' })).download('video.bin');
    expect(Buffer.from(await new Response(stored.body).arrayBuffer()).equals(largeFile)).toBe(true);
  });

  it('uploads a file dropped on the drop zone', async () => {
    const dataTransfer = await alice.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped on the page\n'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    });
    await alice.dispatchEvent('#drop-zone', 'dragover', { dataTransfer });
    await alice.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await alice.waitForSelector('#uploads li[data-file="dropped.txt"][data-state="done"]');
    await expect.poll(() => row(alice, 'dropped.txt').count()).toBe(1);
  });

  it('downloads a file with the same bytes', async () => {
    const [download] = await Promise.all([alice.waitForEvent('download'), row(alice, 'video.bin').locator('button[data-action="download"]').click()]);
    expect(download.suggestedFilename()).toBe('video.bin');
    const saved = await readFile((await download.path())!);
    expect(saved.equals(largeFile)).toBe(true);
  });

  it('copies a share link that opens in a fresh browser context with no sign-in', async () => {
    await alice.evaluate(() => delete document.body.dataset.lastShareLink);
    await row(alice, 'dropped.txt').locator('button[data-action="share"]').click();
    const link = await alice.waitForFunction(() => document.body.dataset.lastShareLink).then((handle) => handle.jsonValue() as Promise<string>);
    expect(await alice.textContent('#message')).toMatch(/^Link copied\. It works until /);
    expect(decodeURIComponent(link)).toContain(`users/${aliceIdentity}/dropped.txt`);

    const stranger = await freshPage();
    const response = await stranger.goto(link);
    expect(response?.status()).toBe(200);
    expect(await response?.text()).toBe('dropped on the page\n');

    const tampered = link.replace('dropped.txt', 'video.bin');
    expect((await stranger.goto(tampered))?.status()).toBe(403);
  });

  it('shows a second user none of the first user\'s files, and keeps their same-named files apart', async () => {
    const bob = await freshPage();
    const bobIdentity = await signInOnPage(bob, fixture.job.page.url, 'bob', 'globex');
    expect(bobIdentity).not.toBe(aliceIdentity);
    await expect.poll(() => bob.isVisible('#empty')).toBe(true);
    expect(await bob.locator('#file-rows tr').count()).toBe(0);

    await bob.setInputFiles('#file-input', { name: 'dropped.txt', mimeType: 'text/plain', buffer: Buffer.from('bob was here\n') });
    await bob.waitForSelector('#uploads li[data-file="dropped.txt"][data-state="done"]');
    expect(await bob.locator('#file-rows tr').count()).toBe(1);

    const alicesCopy = await (await fixture.clientFor('alice', { tenant: 'acme' })).download('dropped.txt');
    expect(await new Response(alicesCopy.body).text()).toBe('dropped on the page\n');
  });

  it('explains in words what went wrong when a file vanished behind the page\'s back', async () => {
    await (await fixture.clientFor('alice', { tenant: 'acme' })).remove('dropped.txt');
    await row(alice, 'dropped.txt').locator('button[data-action="download"]').click();
    await alice.waitForSelector('#message.error:not([hidden])');
    expect(await alice.textContent('#message')).toBe('That file does not exist (any more). The list has been refreshed.');
  });

  it('deletes a file and takes it off the list', async () => {
    await row(alice, 'video.bin').locator('button[data-action="delete"]').click();
    await expect.poll(() => row(alice, 'video.bin').count()).toBe(0);
    expect(await alice.textContent('#message')).toBe('Deleted video.bin.');
    await expect.poll(async () => {
      const names: string[] = [];
      for await (const object of (await fixture.clientFor('alice', { tenant: 'acme' })).list()) names.push(object.key);
      return names.includes('video.bin');
    }).toBe(false);
  });

  describe('CORS, as the browser enforces it', () => {
    const probeUrl = () => `${fixture.job.cloud.httpEndpoint}/${fixture.job.cloud.outputs.bucket}/users/${aliceIdentity}/cors-probe.txt`;
    const signedLookingHeaders = { 'content-type': 'text/plain', 'x-amz-date': '20260101T000000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };

    it('lets the page\'s origin through the preflight of a PUT with SDK headers (the answer is readable: 403 for a request with no signature)', async () => {
      const result = await fetchFromPage(alice, probeUrl(), { method: 'PUT', headers: signedLookingHeaders });
      expect(result).toEqual({ status: 403 });
    });

    it('refuses a header the rules do not list, even from the page\'s origin', async () => {
      const result = await fetchFromPage(alice, probeUrl(), { method: 'PUT', headers: { ...signedLookingHeaders, 'x-smuggled-header': '1' } });
      expect(result).toHaveProperty('refused');
    });

    it('refuses another origin: S3 and the token service stay unreadable from another site', async () => {
      const foreign = await startForeignOrigin();
      try {
        const page = await freshPage();
        await page.goto(foreign.url);
        expect(await fetchFromPage(page, probeUrl(), { method: 'PUT', headers: signedLookingHeaders })).toHaveProperty('refused');
        expect(await fetchFromPage(page, probeUrl(), { method: 'GET' })).toHaveProperty('refused');
        const signIn = await fetchFromPage(page, `${fixture.job.tokenService.url.replace('127.0.0.1', 'localhost')}/v1/dev/session`, { method: 'POST', headers: { 'content-type': 'application/json' } });
        expect(signIn).toHaveProperty('refused');
      } finally {
        await foreign.close();
      }
    });
  });
});
