import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMainJobFixture, type MainJobFixture } from '../integration/client/main-job-fixture.ts';
import { launchChromium, recordPageProblems, recordUploadStatuses, sidewaysOverflow, signInOnPage, startForeignOrigin, uploadStatuses, waitForListing } from './browser-fixture.ts';

const MIB = 1024 * 1024;
/** Eight parts of S3's smallest part size, sent one at a time: the page takes `?partSize=5242880&concurrency=1` for this. */
const LARGE_FILE_BYTES = 40 * MIB;
/** `pageSize=2`: listings come two entries a page, so "Load more" shows up with three files. */
const PAGE_QUERY = `?partSize=${5 * MIB}&concurrency=1&pageSize=2`;
const PHONE = { width: 390, height: 844 };

/** The large file's bytes, made the same way in the page (no 40 MiB through the DevTools protocol) and here. */
function patternByte(index: number): number {
  return (index * 7 + (index >> 13)) & 255;
}
function patternBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1) bytes[index] = patternByte(index);
  return bytes;
}

/** Drops a file on the page's drop zone, its bytes made inside the page (a pattern, or the given text). */
async function dropFile(page: Page, name: string, content: { patternSize: number } | { text: string }): Promise<void> {
  await page.evaluate(
    ({ name, content, patternSource }) => {
      const byteAt = new Function('index', `return (${patternSource})(index);`) as (index: number) => number;
      let bytes: Uint8Array<ArrayBuffer>;
      if ('text' in content) bytes = new TextEncoder().encode(content.text);
      else {
        bytes = new Uint8Array(content.patternSize);
        for (let index = 0; index < bytes.length; index += 1) bytes[index] = byteAt(index);
      }
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      const zone = document.getElementById('drop-zone')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, content, patternSource: patternByte.toString() },
  );
}

function entry(page: Page, key: string) {
  return page.locator(`#entries li[data-key="${key}"]`);
}
function folderEntry(page: Page, path: string) {
  return page.locator(`#entries li[data-folder="${path}"]`);
}
function upload(page: Page, name: string) {
  return page.locator(`#uploads li[data-file="${name}"]`);
}
async function locationNames(page: Page): Promise<string[]> {
  return page.locator('#locations button').allTextContents();
}
async function openLocation(page: Page, label: string): Promise<void> {
  await page.locator('#locations button', { hasText: label }).click();
  await page.waitForSelector(`#locations button[aria-current="true"]:text-is("${label}")`);
  await waitForListing(page);
}
/** Clicks "Load more" until the whole folder is listed. */
async function loadEverything(page: Page): Promise<void> {
  while (await page.isVisible('#load-more')) {
    const shown = await page.locator('#entries li').count();
    await page.click('#load-more');
    await expect.poll(() => page.locator('#entries li').count()).toBeGreaterThan(shown);
  }
}
async function expectFitsSideways(page: Page, view: string): Promise<void> {
  const { scrollWidth, clientWidth } = await sidewaysOverflow(page);
  expect(scrollWidth, `${view}: the page scrolls sideways at ${clientWidth} px`).toBeLessThanOrEqual(clientWidth);
}
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

describe('the storage browser in Chromium, on the main job', () => {
  let fixture: MainJobFixture;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alice: Page;
  let aliceProblems: ReturnType<typeof recordPageProblems>;
  let aliceIdentity: string;
  const largeFile = patternBytes(LARGE_FILE_BYTES);

  async function freshPage(options: { phone?: boolean; clipboard?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({
      acceptDownloads: true,
      ...(options.phone ? { viewport: PHONE } : {}),
      ...(options.clipboard ? { permissions: ['clipboard-read', 'clipboard-write'] } : {}),
    });
    contexts.push(context);
    return context.newPage();
  }
  const aliceClient = () => fixture.clientFor('alice', { tenant: 'acme' });

  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startMainJobFixture(), launchChromium()]);
    alice = await freshPage({ phone: true, clipboard: true });
    aliceProblems = recordPageProblems(alice);
    await alice.goto(`${fixture.job.page.url}/${PAGE_QUERY}`);
    await alice.waitForSelector('body[data-ready="true"]');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await fixture?.close();
  });

  describe('sign-in', () => {
    it('has a tenant pattern Chromium compiles (with the v flag): a slash is refused, a tenant name accepted', async () => {
      const checks = await alice.evaluate(() => {
        const validity = (id: string, value: string) => {
          const input = document.getElementById(id) as HTMLInputElement;
          input.value = value;
          const result = { valid: input.validity.valid, patternMismatch: input.validity.patternMismatch };
          input.value = '';
          return result;
        };
        const compiles = (id: string) => {
          try {
            new RegExp(`^(?:${(document.getElementById(id) as HTMLInputElement).pattern})$`, 'v');
            return true;
          } catch {
            return false;
          }
        };
        return {
          tenantCompiles: compiles('tenant'),
          userCompiles: compiles('user'),
          slash: validity('tenant', 'acme/eu'),
          name: validity('tenant', 'acme-eu.2'),
          userWithSpace: validity('user', 'al ice'),
        };
      });
      expect(checks.tenantCompiles).toBe(true);
      expect(checks.userCompiles).toBe(true);
      expect(checks.slash).toEqual({ valid: false, patternMismatch: true });
      expect(checks.name).toEqual({ valid: true, patternMismatch: false });
      expect(checks.userWithSpace.patternMismatch).toBe(true);
    });

    it('names every input for screen readers and fits 390 px', async () => {
      const unnamed = await alice.evaluate(() =>
        [...document.querySelectorAll('input, select')]
          .filter((input) => (input as HTMLInputElement).labels?.length === 0 && !input.getAttribute('aria-label') && !input.getAttribute('aria-labelledby'))
          .map((input) => input.id),
      );
      expect(unnamed).toEqual([]);
      await expectFitsSideways(alice, 'sign-in');
    });

    it('signs in with a tenant and shows the identity, when the credentials expire, and the locations with Team acme', async () => {
      await alice.fill('#user', 'alice');
      await alice.fill('#tenant', 'acme');
      await alice.click('#sign-in-button');
      await alice.waitForSelector('#storage:not([hidden])');
      await waitForListing(alice);
      aliceIdentity = (await alice.textContent('#identity-id')) ?? '';
      expect(aliceIdentity).toMatch(/^[a-z0-9-]+:[0-9a-f-]{36}$/);
      expect(await alice.textContent('#identity-who')).toBe('Signed in as alice (team acme)');
      expect(Date.parse((await alice.getAttribute('#credentials-expiry', 'datetime')) ?? '')).toBeGreaterThan(Date.now());
      expect(await locationNames(alice)).toEqual(['My files', 'Protected', 'Shared', 'Team acme', 'Public']);
      expect(await alice.getAttribute('#locations button[aria-current="true"]', 'data-location')).toBe('private');
      expect(await alice.textContent('#empty')).toBe('This folder is empty. Upload files or create a folder.');
      await expectFitsSideways(alice, 'empty folder');
    });

    it('logged no console error and got no failed answer on the way (the favicon is served), and its bundle imports no Node built-in', async () => {
      expect(aliceProblems.console).toEqual([]);
      expect(aliceProblems.failedResponses).toEqual([]);
      const favicon = await alice.evaluate(async () => (await fetch('/favicon.ico')).headers.get('content-type'));
      expect(favicon).toBe('image/svg+xml');
      const script = await alice.evaluate(async () => (await fetch('/app.js')).text());
      expect(script.match(/["'`]node:[a-z_/]+/g) ?? [], 'Node built-ins in the page bundle').toEqual([]);
    });
  });

  describe('uploads', () => {
    it('uploads and deletes with the keyboard only, with a visible focus ring', async () => {
      // Listening early: Playwright turns on file-chooser interception when the first listener is added, without waiting for it.
      const chooserShown = alice.waitForEvent('filechooser');
      await alice.focus('#folder-title');
      for (let presses = 0; presses < 12 && (await alice.evaluate(() => document.activeElement?.id)) !== 'file-input'; presses += 1) await alice.keyboard.press('Tab');
      expect(await alice.evaluate(() => document.activeElement?.id)).toBe('file-input');
      expect(await alice.evaluate(() => getComputedStyle(document.querySelector('.file-label')!).outlineStyle)).not.toBe('none');
      const [chooser] = await Promise.all([chooserShown, alice.keyboard.press('Enter')]);
      await chooser.setFiles({ name: 'typed.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded with the keyboard\n') });
      await alice.waitForSelector('#uploads li[data-file="typed.txt"][data-state="succeeded"]');
      await expect.poll(() => entry(alice, 'typed.txt').count()).toBe(1);

      for (let presses = 0; presses < 20 && (await alice.evaluate(() => document.activeElement?.getAttribute('aria-label'))) !== 'Delete typed.txt'; presses += 1) await alice.keyboard.press('Tab');
      expect(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Delete typed.txt');
      expect(await alice.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
      await alice.keyboard.press('Enter');
      await alice.waitForSelector('#confirm-dialog[open]');
      expect(await alice.evaluate(() => (document.activeElement as HTMLButtonElement).dataset.choice)).toBe('delete');
      await alice.keyboard.press('Enter');
      await expect.poll(() => entry(alice, 'typed.txt').count()).toBe(0);
      expect(await alice.textContent('#message')).toBe('Deleted typed.txt.');
      const client = await aliceClient();
      expect((await client.listFolder({ location: 'private' })).files.map((file) => file.key)).not.toContain('typed.txt');
    });

    it('pauses and resumes a multipart upload, with byte progress, and stores the same bytes', async () => {
      await recordUploadStatuses(alice);
      await dropFile(alice, 'video.bin', { patternSize: LARGE_FILE_BYTES });
      await upload(alice, 'video.bin').locator('button[data-action="pause"]').click();
      await alice.waitForSelector('#uploads li[data-file="video.bin"][data-state="paused"]');
      expect(await upload(alice, 'video.bin').locator('.status').textContent()).toBe('paused');
      const pausedAt = await upload(alice, 'video.bin').locator('progress').evaluate((bar: HTMLProgressElement) => bar.value);
      expect(pausedAt).toBeLessThan(LARGE_FILE_BYTES);
      expect(await upload(alice, 'video.bin').locator('button').allTextContents()).toEqual(['Resume', 'Cancel']);
      await expectFitsSideways(alice, 'upload queue');

      await upload(alice, 'video.bin').locator('button[data-action="resume"]').click();
      await alice.waitForSelector('#uploads li[data-file="video.bin"][data-state="succeeded"]', { timeout: 60_000 });
      const statuses = await uploadStatuses(alice);
      const percentages = statuses.filter((status) => status.endsWith('%')).map((status) => Number.parseInt(status, 10));
      expect(percentages.some((percent) => percent > 0 && percent < 100), `statuses seen: ${statuses.join(', ')}`).toBe(true);
      expect(statuses).toContain('paused');
      expect(statuses.at(-1)).toBe('done');
      expect(await upload(alice, 'video.bin').locator('.bytes').textContent()).toBe('40.0 MiB of 40.0 MiB');
      await expect.poll(() => entry(alice, 'video.bin').count()).toBe(1);
      expect(await entry(alice, 'video.bin').locator('.entry-size').textContent()).toBe('40.0 MiB');

      const client = await aliceClient();
      expect((await client.properties('private', 'video.bin')).etag).toMatch(/-8"?$/);
      expect((await readAll((await client.download('private', 'video.bin')).body)).equals(largeFile)).toBe(true);
    });

    it('cancels a paused upload: nothing is stored', async () => {
      await dropFile(alice, 'cancelled.bin', { patternSize: LARGE_FILE_BYTES });
      await upload(alice, 'cancelled.bin').locator('button[data-action="pause"]').click();
      await alice.waitForSelector('#uploads li[data-file="cancelled.bin"][data-state="paused"]');
      await upload(alice, 'cancelled.bin').locator('button[data-action="cancel"]').click();
      await alice.waitForSelector('#uploads li[data-file="cancelled.bin"][data-state="cancelled"]');
      expect(await upload(alice, 'cancelled.bin').locator('button').count()).toBe(0);
      const client = await aliceClient();
      expect((await client.listFolder({ location: 'private' })).files.map((file) => file.key)).not.toContain('cancelled.bin');
    });

    it('retries an upload that failed while the browser was offline, and stores the same bytes', async () => {
      await dropFile(alice, 'retried.bin', { patternSize: LARGE_FILE_BYTES });
      await upload(alice, 'retried.bin').locator('button[data-action="pause"]').click();
      await alice.waitForSelector('#uploads li[data-file="retried.bin"][data-state="paused"]');
      await alice.context().setOffline(true);
      try {
        await upload(alice, 'retried.bin').locator('button[data-action="resume"]').click();
        await alice.waitForSelector('#uploads li[data-file="retried.bin"][data-state="failed"]', { timeout: 60_000 });
        expect(await upload(alice, 'retried.bin').locator('button').allTextContents()).toEqual(['Retry', 'Cancel']);
        expect(await alice.textContent('#message')).toMatch(/^retried\.bin: The storage service cannot be reached/);
      } finally {
        await alice.context().setOffline(false);
      }
      await upload(alice, 'retried.bin').locator('button[data-action="retry"]').click();
      await alice.waitForSelector('#uploads li[data-file="retried.bin"][data-state="succeeded"]', { timeout: 60_000 });
      const client = await aliceClient();
      expect((await readAll((await client.download('private', 'retried.bin')).body)).equals(largeFile)).toBe(true);
      await client.remove('private', 'retried.bin');
    });

    it('asks before replacing: keep the existing file, replace it, or keep both', async () => {
      const client = await aliceClient();
      const contentOf = async (key: string) => (await readAll((await client.download('private', key)).body)).toString();
      const answer = async (choice: string) => {
        await alice.waitForSelector('#confirm-dialog[open]');
        expect(await alice.textContent('#confirm-text')).toBe('notes.txt already exists in this folder.');
        await expectFitsSideways(alice, 'replace prompt');
        await alice.click(`#confirm-dialog button[data-choice="${choice}"]`);
      };

      await dropFile(alice, 'notes.txt', { text: 'first' });
      await alice.waitForSelector('#uploads li[data-file="notes.txt"][data-state="succeeded"]');
      await alice.evaluate(() => document.getElementById('uploads')!.replaceChildren());

      await dropFile(alice, 'notes.txt', { text: 'second' });
      await answer('skip');
      await alice.waitForSelector('#uploads li[data-file="notes.txt"][data-state="skipped"]');
      expect(await contentOf('notes.txt')).toBe('first');
      await alice.evaluate(() => document.getElementById('uploads')!.replaceChildren());

      await dropFile(alice, 'notes.txt', { text: 'third' });
      await answer('replace');
      await alice.waitForSelector('#uploads li[data-file="notes.txt"][data-state="succeeded"]');
      expect(await contentOf('notes.txt')).toBe('third');

      await dropFile(alice, 'notes.txt', { text: 'fourth' });
      await answer('keep-both');
      await alice.waitForSelector('#uploads li[data-file="notes (1).txt"][data-state="succeeded"]');
      expect(await contentOf('notes.txt')).toBe('third');
      expect(await contentOf('notes (1).txt')).toBe('fourth');
    });
    it('keeps the existing file when the replace prompt is closed with Escape, and the line reads skipped, without a progress bar', async () => {
      await alice.evaluate(() => document.getElementById('uploads')!.replaceChildren());
      await dropFile(alice, 'notes.txt', { text: 'escape' });
      await alice.waitForSelector('#confirm-dialog[open]');
      await alice.keyboard.press('Escape');
      await alice.waitForSelector('#uploads li[data-file="notes.txt"][data-state="skipped"]');
      const line = upload(alice, 'notes.txt');
      expect(await line.locator('.status').textContent()).toBe('skipped: kept the existing file');
      expect(await line.locator('progress').count()).toBe(0);
      expect(await line.textContent()).toBe('notes.txtskipped: kept the existing file');
      const client = await aliceClient();
      expect(await readAll((await client.download('private', 'notes.txt')).body).then(String)).toBe('third');
      await alice.evaluate(() => document.getElementById('uploads')!.replaceChildren());
    });
  });

  describe('browsing', () => {
    it('lists a page at a time and loads more on request', async () => {
      await openLocation(alice, 'My files');
      expect(await alice.locator('#entries li').count()).toBe(2);
      expect(await alice.isVisible('#load-more')).toBe(true);
      await alice.click('#load-more');
      await expect.poll(() => alice.locator('#entries li').count()).toBe(3);
      expect(await alice.isVisible('#load-more')).toBe(false);
      expect(await alice.locator('#entries li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.key))).toEqual(['notes (1).txt', 'notes.txt', 'video.bin']);
    });

    it('shows a file\'s details in the panel and gives focus back when it closes', async () => {
      await entry(alice, 'notes.txt').locator('button[data-action="details"]').click();
      await alice.waitForSelector('#details:not([hidden])');
      expect(await alice.textContent('#details dd[data-property="name"]')).toBe('notes.txt');
      expect(await alice.textContent('#details dd[data-property="size"]')).toBe('5 B (5 bytes)');
      expect(await alice.textContent('#details dd[data-property="type"]')).toBe('application/octet-stream');
      expect(await alice.evaluate(() => document.activeElement?.id)).toBe('details-title');
      await expectFitsSideways(alice, 'details panel');
      await alice.click('#details-close');
      expect(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Details of notes.txt');
    });

    it('creates a folder, opens it, uploads into it, and deletes it after saying how many files go with it', async () => {
      await alice.click('#new-folder-button');
      await alice.fill('#folder-name', 'reports');
      await alice.click('#folder-create');
      await alice.waitForSelector('#message:text-is("Created folder reports.")');
      await loadEverything(alice);
      await expect.poll(() => folderEntry(alice, 'reports/').count()).toBe(1);
      await folderEntry(alice, 'reports/').locator('button[data-action="open"]').click();
      await alice.waitForSelector('#breadcrumbs [aria-current="page"]:text-is("reports")');
      expect(await alice.locator('#breadcrumbs li').allTextContents()).toEqual(['My files', 'reports']);
      await waitForListing(alice);
      expect(await alice.textContent('#empty')).toBe('This folder is empty. Upload files or create a folder.');

      await alice.setInputFiles('#file-input', ['q1', 'q2', 'q3'].map((name) => ({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(`${name}\n`) })));
      for (const name of ['q1', 'q2', 'q3']) await alice.waitForSelector(`#uploads li[data-key="reports/${name}.csv"][data-state="succeeded"]`);
      await loadEverything(alice);
      expect(await alice.locator('#entries li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.key))).toEqual(['reports/q1.csv', 'reports/q2.csv', 'reports/q3.csv']);
      const client = await aliceClient();
      expect((await client.listFolder({ location: 'private', prefix: 'reports/' })).files.map((file) => file.key)).toEqual(['reports/q1.csv', 'reports/q2.csv', 'reports/q3.csv']);

      await alice.click('#breadcrumbs button:text-is("My files")');
      await waitForListing(alice);
      await loadEverything(alice);
      await expect.poll(() => folderEntry(alice, 'reports/').count()).toBe(1);
      await folderEntry(alice, 'reports/').locator('button[data-action="delete"]').click();
      await alice.waitForSelector('#confirm-dialog[open]');
      expect(await alice.textContent('#confirm-text')).toBe('Delete the folder reports/? It holds 3 files (9 B), which will be deleted too. This cannot be undone.');
      await alice.click('#confirm-dialog button[data-choice="delete"]');
      await expect.poll(() => folderEntry(alice, 'reports/').count()).toBe(0);
      expect((await client.listFolder({ location: 'private', prefix: 'reports/' })).files).toEqual([]);
    });

    it('refuses a folder name with a slash in the New folder dialog, and every pattern on the page compiles with the v flag', async () => {
      const patterns = await alice.evaluate(() =>
        [...document.querySelectorAll('[pattern]')].map((input) => {
          try {
            new RegExp(`^(?:${input.getAttribute('pattern')})$`, 'v');
            return { id: input.id, compiles: true };
          } catch {
            return { id: input.id, compiles: false };
          }
        }),
      );
      expect(patterns.map((pattern) => pattern.id)).toContain('folder-name');
      expect(patterns.filter((pattern) => !pattern.compiles)).toEqual([]);

      await alice.click('#new-folder-button');
      await alice.fill('#folder-name', 'a/b');
      await alice.click('#folder-create');
      expect(await alice.isVisible('#folder-dialog')).toBe(true);
      expect(await alice.evaluate(() => (document.getElementById('folder-name') as HTMLInputElement).validity.patternMismatch)).toBe(true);
      await alice.click('#folder-dialog button[value="cancel"]');
      expect(await alice.isVisible('#folder-dialog')).toBe(false);
      const folders = (await (await aliceClient()).listFolder({ location: 'private' })).folders;
      expect(folders).not.toContain('a/');
      expect(folders).not.toContain('a');
    });

    it('downloads with a progress line and saves the same bytes', async () => {
      await loadEverything(alice);
      await expect.poll(() => entry(alice, 'video.bin').count()).toBe(1);
      const [download] = await Promise.all([alice.waitForEvent('download'), entry(alice, 'video.bin').locator('button[data-action="download"]').click()]);
      expect(download.suggestedFilename()).toBe('video.bin');
      const line = alice.locator('#downloads li[data-key="video.bin"]');
      await alice.waitForSelector('#downloads li[data-key="video.bin"][data-state="done"]');
      expect(await line.getAttribute('data-loaded-bytes')).toBe(String(LARGE_FILE_BYTES));
      expect(await line.locator('.bytes').textContent()).toBe('40.0 MiB of 40.0 MiB');
      expect(await line.locator('.status').textContent()).toBe('saved');
      expect((await readFile((await download.path())!)).equals(largeFile)).toBe(true);
    });

    it('shares with a chosen lifetime as a download, and copies the link to the clipboard', async () => {
      await entry(alice, 'notes.txt').locator('button[data-action="share"]').click();
      await alice.waitForSelector('#share-dialog[open]');
      await alice.selectOption('#share-lifetime', '900');
      await alice.selectOption('#share-disposition', 'attachment');
      await alice.click('#share-create');
      await alice.waitForSelector('#share-result:not([hidden])');
      const link = await alice.inputValue('#share-link');
      expect(decodeURIComponent(link)).toContain(`users/${aliceIdentity}/notes.txt`);
      expect(new URL(link).searchParams.get('X-Amz-Expires')).toBe('900');
      await expectFitsSideways(alice, 'share dialog');
      await alice.click('#share-copy');
      await alice.waitForSelector('#share-expiry:text-is("Copied to the clipboard.")');
      expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe(link);
      await alice.click('#share-dialog button[value="close"]');

      const response = await fetch(link);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="notes\.txt"/);
      expect(await response.text()).toBe('third');
      expect((await fetch(link.replace('notes.txt', 'video.bin'))).status).toBe(403);
    });

    it('says so when a folder cannot be listed, and lists it again once the network is back', async () => {
      await alice.context().setOffline(true);
      try {
        await openLocation(alice, 'Shared');
        expect(await alice.isVisible('#list-error')).toBe(true);
        expect(await alice.textContent('#list-error')).toMatch(/^This folder could not be listed\. The storage service cannot be reached/);
        expect(await alice.isVisible('#empty')).toBe(false);
      } finally {
        await alice.context().setOffline(false);
      }
      await openLocation(alice, 'My files');
      expect(await alice.isVisible('#list-error')).toBe(false);
      expect(await alice.locator('#entries li').count()).toBeGreaterThan(0);
    });

    it('shows Shared read-only: no upload control, no delete, and says why', async () => {
      await openLocation(alice, 'Shared');
      expect(await alice.isVisible('#write-tools')).toBe(false);
      expect(await alice.isVisible('#file-input')).toBe(false);
      expect(await alice.isVisible('#new-folder-button')).toBe(false);
      expect(await alice.textContent('#read-only-note')).toBe('You can read this folder but not change it.');
      expect(await alice.textContent('#empty')).toBe('Nothing has been shared here yet.');
      await expectFitsSideways(alice, 'shared');
    });

    it('writes into Team acme and into the own protected folder', async () => {
      await openLocation(alice, 'Team acme');
      expect(await alice.isVisible('#write-tools')).toBe(true);
      await dropFile(alice, 'plan.txt', { text: 'team plan' });
      await expect.poll(() => entry(alice, 'plan.txt').count()).toBe(1);
      expect(await (await aliceClient()).download('team', 'plan.txt').then((result) => readAll(result.body)).then(String)).toBe('team plan');

      await openLocation(alice, 'Protected');
      expect(await alice.isVisible('#open-folder-form')).toBe(true);
      expect(await alice.locator('#breadcrumbs li').allTextContents()).toEqual(['Protected']);
      await dropFile(alice, 'hello.txt', { text: 'hello from alice' });
      await expect.poll(() => entry(alice, `${aliceIdentity}/hello.txt`).count()).toBe(1);
      await expectFitsSideways(alice, 'protected');
    });
  });

  describe('other visitors', () => {
    it('a user without a tenant sees no Team location, and opens alice\'s protected folder by her user id, read-only', async () => {
      const bob = await freshPage();
      const bobProblems = recordPageProblems(bob);
      const bobIdentity = await signInOnPage(bob, fixture.job.page.url, 'bob');
      expect(bobIdentity).not.toBe(aliceIdentity);
      expect(await locationNames(bob)).toEqual(['My files', 'Protected', 'Shared', 'Public']);
      expect(bobProblems.console).toEqual([]);
      expect(await bob.locator('#entries li').count()).toBe(0);

      await openLocation(bob, 'Protected');
      await bob.fill('#open-folder-input', aliceIdentity);
      await bob.click('#open-folder-button');
      await bob.waitForSelector(`#breadcrumbs [aria-current="page"]:text-is("${aliceIdentity}")`);
      await bob.waitForSelector(`#entries li[data-key="${aliceIdentity}/hello.txt"]`);
      expect(await bob.isVisible('#write-tools')).toBe(false);
      expect(await entry(bob, `${aliceIdentity}/hello.txt`).locator('button').allTextContents()).toEqual(['hello.txt', 'Download', 'Share']);

      await openLocation(bob, 'My files');
      await openLocation(bob, 'Protected');
      await bob.fill('#open-folder-input', 'alice');
      await bob.click('#open-folder-button');
      await bob.waitForSelector('#breadcrumbs [aria-current="page"]:text-is("alice")');
      await bob.waitForSelector(`#entries li[data-key="${aliceIdentity}/hello.txt"]`);
      expect(await bob.locator('#breadcrumbs li').allTextContents()).toEqual(['Protected', 'alice']);
      await expectFitsSideways(bob, 'someone else\'s protected folder');

      await bob.fill('#open-folder-input', 'nobody-signed-in-as-this');
      await bob.click('#open-folder-button');
      await bob.waitForSelector('#message.error:not([hidden])');
      expect(await bob.textContent('#message')).toBe('No user "nobody-signed-in-as-this" has used storage yet, so they have no protected folder.');
    });

    it('a guest uploads, signs in later, and still has the file', async () => {
      const guest = await freshPage({ phone: true });
      const guestProblems = recordPageProblems(guest);
      await guest.goto(fixture.job.page.url);
      await guest.waitForSelector('body[data-ready="true"]');
      await guest.click('#guest-button');
      await guest.waitForSelector('#storage:not([hidden])');
      await waitForListing(guest);
      expect(await guest.textContent('#identity-who')).toBe('Browsing as a guest');
      expect(await guest.isVisible('#guest-sign-in-form')).toBe(true);
      const guestIdentity = await guest.textContent('#identity-id');
      await dropFile(guest, 'from-a-guest.txt', { text: 'kept after sign-in' });
      await expect.poll(() => entry(guest, 'from-a-guest.txt').count()).toBe(1);
      await expectFitsSideways(guest, 'guest');
      expect(guestProblems.console).toEqual([]);

      await guest.fill('#guest-user', 'gina');
      await guest.click('#guest-sign-in-button');
      await guest.waitForSelector('#message:not([hidden])');
      expect(await guest.textContent('#message')).toBe('Signed in as gina. Your files are still here.');
      expect(await guest.textContent('#identity-who')).toBe('Signed in as gina');
      expect(await guest.isVisible('#guest-sign-in-form')).toBe(false);
      expect(await guest.textContent('#identity-id')).toBe(guestIdentity);
      await expect.poll(() => entry(guest, 'from-a-guest.txt').count()).toBe(1);

      const gina = await fixture.clientFor('gina');
      expect((await gina.whoami()).identityId).toBe(guestIdentity);
      expect(await readAll((await gina.download('private', 'from-a-guest.txt')).body).then(String)).toBe('kept after sign-in');
    });
    it('a guest who signs in as a user with files of their own is told the guest files stay with the guest, and finds them again as a guest', async () => {
      await signInOnPage(await freshPage(), fixture.job.page.url, 'hank');
      const guest = await freshPage();
      await guest.goto(fixture.job.page.url);
      await guest.waitForSelector('body[data-ready="true"]');
      await guest.click('#guest-button');
      await guest.waitForSelector('#storage:not([hidden])');
      await waitForListing(guest);
      const guestIdentity = (await guest.textContent('#identity-id')) ?? '';
      await dropFile(guest, 'left-with-the-guest.txt', { text: 'still the guest\'s' });
      await expect.poll(() => entry(guest, 'left-with-the-guest.txt').count()).toBe(1);

      await guest.fill('#guest-user', 'hank');
      await guest.click('#guest-sign-in-button');
      await expect.poll(() => guest.textContent('#identity-who')).toBe('Signed in as hank');
      await guest.waitForSelector('#guest-files-notice:not([hidden])');
      expect(await guest.textContent('#guest-files-notice')).toBe(
        `hank already had files of their own, so the files you uploaded as a guest were not moved here: they stay with the guest identity ${guestIdentity}. To reach them, sign out and choose "Continue as guest" in this browser.`,
      );
      expect(await guest.textContent('#message')).not.toContain('Your files are still here');
      expect(await guest.textContent('#identity-id')).not.toBe(guestIdentity);
      await waitForListing(guest);
      expect(await entry(guest, 'left-with-the-guest.txt').count()).toBe(0);

      await guest.click('#sign-out-button');
      expect(await guest.isVisible('#guest-files-notice')).toBe(false);
      await guest.click('#guest-button');
      await guest.waitForSelector('#storage:not([hidden])');
      await waitForListing(guest);
      expect(await guest.textContent('#identity-who')).toBe('Browsing as a guest');
      expect(await guest.textContent('#identity-id')).toBe(guestIdentity);
      await expect.poll(() => entry(guest, 'left-with-the-guest.txt').count()).toBe(1);
    });
    it('shows blank names and names with direction controls visibly, escaped, in the list and the details', async () => {
      const ivy = await fixture.clientFor('ivy');
      await ivy.upload('private', ' ', 'one space');
      await ivy.upload('private', '\u200b\u3000', 'invisible');
      await ivy.upload('private', 'invoice\u202etxt.exe', 'looks like invoiceexe.txt');
      await ivy.upload('private', 'notes\u2067 /a.txt', 'in a folder whose name isolates');
      const page = await freshPage();
      await signInOnPage(page, fixture.job.page.url, 'ivy');
      await expect.poll(() => page.locator('#entries li').count()).toBe(4);

      const name = (key: string) => entry(page, key).locator('button[data-action="details"]');
      expect(await name(' ').textContent()).toBe('⟨U+0020⟩');
      expect(await name(' ').getAttribute('aria-label')).toBe('Details of ⟨U+0020⟩');
      expect(await name('\u200b\u3000').textContent()).toBe('⟨U+200B⟩⟨U+3000⟩');
      expect(await name('invoice\u202etxt.exe').textContent()).toBe('invoice⟨U+202E⟩txt.exe');
      expect(await entry(page, 'invoice\u202etxt.exe').locator('button[data-action="delete"]').getAttribute('aria-label')).toBe('Delete invoice⟨U+202E⟩txt.exe');
      expect(await name('invoice\u202etxt.exe').getAttribute('title')).toMatch(/⟨U\+…⟩/);
      expect(await folderEntry(page, 'notes\u2067 /').locator('button[data-action="open"]').textContent()).toBe('notes⟨U+2067⟩ /');
      expect(await page.textContent('#entries')).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);

      await name('invoice\u202etxt.exe').click();
      await page.waitForSelector('#details:not([hidden])');
      expect(await page.textContent('#details dd[data-property="name"]')).toBe('invoice⟨U+202E⟩txt.exe');
      await folderEntry(page, 'notes\u2067 /').locator('button[data-action="open"]').click();
      await waitForListing(page);
      expect(await page.locator('#breadcrumbs li').allTextContents()).toEqual(['My files', 'notes⟨U+2067⟩ ']);
    });
  });

  describe('CORS, as the browser enforces it', () => {
    const probeUrl = () => `${fixture.job.cloud.httpEndpoint}/${fixture.job.cloud.outputs.bucket}/users/${aliceIdentity}/cors-probe.txt`;
    const signedLookingHeaders = { 'content-type': 'text/plain', 'x-amz-date': '20260101T000000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };

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

    it('lets the page\'s origin through the preflight of a PUT with SDK headers (the answer is readable: 403 for a request with no signature)', async () => {
      expect(await fetchFromPage(alice, probeUrl(), { method: 'PUT', headers: signedLookingHeaders })).toEqual({ status: 403 });
    });

    it('refuses a header the rules do not list, even from the page\'s origin', async () => {
      expect(await fetchFromPage(alice, probeUrl(), { method: 'PUT', headers: { ...signedLookingHeaders, 'x-smuggled-header': '1' } })).toHaveProperty('refused');
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
