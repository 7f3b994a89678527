import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopedStorageClient } from '../../app/library/index.ts';
import { uploadAddress, type UploadAddressLink } from '../../app/web/upload-address.ts';
import { startMainJobFixture, type MainJobFixture } from '../integration/client/main-job-fixture.ts';
import { imageWidth, launchChromium, recordPageProblems, sidewaysOverflow, signInOnPage, tinyPng, waitForListing } from './browser-fixture.ts';

const PHONE = { width: 390, height: 844 };


function entry(page: Page, key: string) {
  return page.locator(`#entries li[data-key="${key}"]`);
}
async function openFolder(page: Page, path: string): Promise<void> {
  await page.locator(`#entries li[data-folder="${path}"] button[data-action="open"]`).click();
  await page.waitForSelector(`#breadcrumbs [aria-current="page"]`);
  await waitForListing(page);
}

/** Delivery in Chromium on the main job: the one-page uploader, the photo grid through CDN cookies, publishing. */
describe('delivery in Chromium, on the main job', () => {
  let fixture: MainJobFixture;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function freshPage(options: { phone?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ ...(options.phone ? { viewport: PHONE } : {}) });
    contexts.push(context);
    return context.newPage();
  }
  /** A client whose S3 requests (and the links it signs) go to the endpoint the browser reaches without the local CA. */
  const browserReachableClient = (user: string) => fixture.clientFor(user, { endpoints: { s3: fixture.job.cloud.httpEndpoint, cognitoIdentity: fixture.job.cloud.httpEndpoint } });

  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startMainJobFixture(), launchChromium()]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await fixture?.close();
  });

  describe('the one-page uploader', () => {
    let alice: ScopedStorageClient;
    beforeAll(async () => {
      alice = await browserReachableClient('alice');
    });

    /** What "Request files" hands out: a single-use PUT link from the library, with what the uploader is told. */
    async function putLink(folder: string, options: { maxBytes: number; contentType?: string }): Promise<UploadAddressLink> {
      const link = await alice.createUploadLink('private', folder, { ...options, method: 'PUT' });
      return { url: link.url, method: 'PUT', headers: link.headers!, key: link.key, expiresAt: link.expiresAt.toISOString(), maxBytes: options.maxBytes, ...(options.contentType ? { contentType: options.contentType } : {}) };
    }

    async function openUploader(link: UploadAddressLink): Promise<Page> {
      const page = await freshPage({ phone: true });
      await page.goto(uploadAddress(fixture.job.page.url, link));
      await page.waitForSelector('body[data-ready="true"]');
      return page;
    }

    async function chooseAndUpload(page: Page, file: { name: string; mimeType: string; buffer: Buffer }): Promise<string> {
      await page.setInputFiles('#upload-file', file);
      await page.click('#upload-button');
      await page.waitForSelector('body:not([data-state="uploading"]):not([data-state="ready"])');
      return (await page.textContent('#upload-status')) ?? '';
    }

    it('uploads once with no sign-in and no SDK; the second use of the same address is refused in words', async () => {
      const link = await putLink('inbox/', { maxBytes: 1024, contentType: 'text/plain' });
      const first = await openUploader(link);
      const problems = recordPageProblems(first);
      expect(await first.textContent('#upload-terms')).toContain('at most 1.0 KiB, of type text/plain');
      const firstStatus = await chooseAndUpload(first, { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from a stranger\n') });
      expect(firstStatus).toBe('Uploaded hello.txt (22 B). Thank you: you can close this page.');
      expect(await first.getAttribute('body', 'data-state')).toBe('done');
      expect(await first.isDisabled('#upload-button')).toBe(true);
      expect(problems.failedResponses).toEqual([]);
      const stored = await alice.download('private', link.key);
      expect(Buffer.from(await new Response(stored.body).arrayBuffer()).toString()).toBe('hello from a stranger\n');

      const second = await openUploader(link);
      const secondStatus = await chooseAndUpload(second, { name: 'other.txt', mimeType: 'text/plain', buffer: Buffer.from('replacing it\n') });
      expect(secondStatus).toMatch(/^This link has already been used\./);
      expect(await second.getAttribute('body', 'data-state')).toBe('used');
      const still = await alice.download('private', link.key);
      expect(Buffer.from(await new Response(still.body).arrayBuffer()).toString()).toBe('hello from a stranger\n');
    });

    it('refuses before sending a file larger than the link allows or of another type, and lets the person choose again', async () => {
      const link = await putLink('inbox/', { maxBytes: 10, contentType: 'text/plain' });
      const page = await openUploader(link);
      const requests: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'PUT') requests.push(request.url());
      });
      expect(await chooseAndUpload(page, { name: 'big.txt', mimeType: 'text/plain', buffer: Buffer.alloc(11, 'x') })).toBe('big.txt is 11 B; this link takes at most 10 B. Choose a smaller file.');
      expect(await chooseAndUpload(page, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('jpeg') })).toBe('This link takes text/plain files only, and photo.jpg is image/jpeg. Choose another file.');
      expect(requests).toEqual([]);
      expect(await chooseAndUpload(page, { name: 'small.txt', mimeType: 'text/plain', buffer: Buffer.from('small') })).toBe('Uploaded small.txt (5 B). Thank you: you can close this page.');
      expect(requests).toHaveLength(1);
    });

    it('says so for a damaged address, a link to another host and an expired link, without sending anything', async () => {
      const damaged = await freshPage();
      await damaged.goto(`${fixture.job.page.url}/upload.html#eyJ1cmwiOiJqYXZhc2NyaXB0OmFsZXJ0KDEpIn0`);
      await damaged.waitForSelector('body[data-ready="true"]');
      expect(await damaged.getAttribute('body', 'data-state')).toBe('damaged');
      expect(await damaged.textContent('#upload-status')).toBe('The upload address is damaged: no upload URL. Copy the whole address you were sent, or ask for a new one.');
      expect(await damaged.isDisabled('#upload-button')).toBe(true);

      const link = await putLink('inbox/', { maxBytes: 10 });
      const elsewhere = await openUploader({ ...link, url: link.url.replace(/^http:\/\/[^/]+/, 'http://evil.example') });
      expect(await elsewhere.getAttribute('body', 'data-state')).toBe('damaged');
      expect(await elsewhere.textContent('#upload-status')).toBe("This address would send your file to evil.example, which is not this app's storage. Copy the whole address you were sent, or ask for a new one.");
      expect(await elsewhere.isDisabled('#upload-button')).toBe(true);

      const expired = await openUploader({ ...link, expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(await expired.getAttribute('body', 'data-state')).toBe('expired');
      expect(await expired.textContent('#upload-status')).toBe('This link has expired. Ask the person who sent it for a new one.');
    });

    it('is usable at 390 px with a labelled file input, and the page server never sees the link', async () => {
      const link = await putLink('inbox/', { maxBytes: 10 });
      const page = await freshPage({ phone: true });
      const pageRequests: string[] = [];
      page.on('request', (request) => {
        if (request.url().startsWith(fixture.job.page.url)) pageRequests.push(request.url());
      });
      await page.goto(uploadAddress(fixture.job.page.url, link));
      await page.waitForSelector('body[data-ready="true"]');
      const { scrollWidth, clientWidth } = await sidewaysOverflow(page);
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      expect(await page.evaluate(() => (document.getElementById('upload-file') as HTMLInputElement).labels?.[0]?.textContent)).toBe('File to upload');
      expect(pageRequests.length).toBeGreaterThan(0);
      for (const url of pageRequests) expect(url).not.toContain('#');
      expect(pageRequests.some((url) => url.includes('X-Amz-Signature'))).toBe(false);
      // No SDK and no library in the uploader: a few kilobytes of its own script.
      const script = await page.evaluate(async () => (await fetch('/upload.js')).text());
      expect(script).not.toMatch(/S3Client|SignatureV4|CognitoIdentity|["'`]node:/);
      expect(script.length).toBeLessThan(20_000);
    });
  });

  describe('the storage page with a CDN', () => {
    let alice: Page;
    let aliceClient: ScopedStorageClient;
    let aliceIdentity: string;
    let cdnUrl: string;
    const cdnRequests: Array<{ method: string; url: string }> = [];
    const cookieRequests: string[] = [];
    let problems: ReturnType<typeof recordPageProblems>;

    beforeAll(async () => {
      aliceClient = await fixture.clientFor('ada');
      const red = tinyPng(3, 2, [200, 30, 30]);
      await aliceClient.upload('private', 'photos/red.png', red, { contentType: 'image/png' });
      await aliceClient.upload('private', 'photos/blue one.png', tinyPng(4, 4, [30, 30, 200]), { contentType: 'image/png' });
      await aliceClient.upload('private', 'photos/evil\u202Egnp.png', tinyPng(2, 2, [30, 200, 30]), { contentType: 'image/png' });
      await aliceClient.upload('private', 'photos/notes.txt', Buffer.from('not a photo'), { contentType: 'text/plain' });
      await aliceClient.upload('private', 'docs/notice.txt', Buffer.from('published notice'), { contentType: 'text/plain' });
      await aliceClient.upload('private', 'docs/linked.txt', Buffer.from('linked through the CDN'), { contentType: 'text/plain' });
      alice = await freshPage({ phone: true });
      problems = recordPageProblems(alice);
      alice.on('request', (request) => {
        if (request.url().endsWith('/v1/links/cookies')) cookieRequests.push(request.method());
        if (cdnUrl && request.url().startsWith(cdnUrl)) cdnRequests.push({ method: request.method(), url: request.url() });
      });
      aliceIdentity = await signInOnPage(alice, fixture.job.page.url, 'ada');
      cdnUrl = await alice.evaluate(async () => ((await (await fetch('/config.json')).json()) as { outputs: { cdnUrl: string } }).outputs.cdnUrl);
      expect(new URL(cdnUrl).hostname, 'the page, the token service and the CDN share the host name the cookies are for').toBe('localhost');
    });

    it('shows the folder\'s images in a photo grid through the signed cookies: no signature in any image address, each image decoded', async () => {
      await openFolder(alice, 'photos/');
      await alice.click('#photo-grid-button');
      expect(await alice.getAttribute('#photo-grid-button', 'aria-pressed')).toBe('true');
      await alice.waitForSelector('#photo-grid[aria-busy="false"]', { state: 'attached' });
      expect(await alice.textContent('#photo-grid-status')).toBe('3 photos.');
      await expect
        .poll(() => alice.$$eval('#photo-grid img', (images) => images.map((image) => (image as HTMLImageElement).complete && (image as HTMLImageElement).naturalWidth > 0)))
        .toEqual([true, true, true]);
      const widths = await alice.$$eval('#photo-grid img', (images) => Object.fromEntries(images.map((image) => [image.closest('li')!.dataset.key, (image as HTMLImageElement).naturalWidth])));
      expect(widths).toEqual({ 'photos/blue one.png': 4, 'photos/evil\u202Egnp.png': 2, 'photos/red.png': 3 });
      expect(cookieRequests).toEqual(['POST']);
      const imageRequests = cdnRequests.filter((request) => request.url.includes('/photos/'));
      expect(imageRequests.length).toBeGreaterThanOrEqual(3);
      for (const request of imageRequests) {
        expect(request.url.startsWith(`${cdnUrl}/users/${encodeURIComponent(aliceIdentity)}/photos/`)).toBe(true);
        expect(new URL(request.url).search, request.url).toBe('');
      }
      // Names are escaped as in the list: the direction control shows, it does not reorder the name.
      expect(await alice.locator('#photo-grid button.photo-name').allTextContents()).toEqual(['blue one.png', 'evil⟨U+202E⟩gnp.png', 'red.png']);
      expect(await alice.getAttribute('#photo-grid img >> nth=1', 'alt')).toBe('evil⟨U+202E⟩gnp.png');
      const { scrollWidth, clientWidth } = await sidewaysOverflow(alice);
      expect(scrollWidth, 'the photo grid scrolls sideways at 390 px').toBeLessThanOrEqual(clientWidth);
    });

    it('the grid\'s image addresses open nothing without the cookies, and another user\'s cookies do not open them', async () => {
      const imageUrl = (await alice.getAttribute('#photo-grid li[data-key="photos/red.png"] img', 'src'))!;
      expect(await imageWidth(alice, imageUrl)).toBe(3);
      const stranger = await freshPage();
      await stranger.goto(`${fixture.job.page.url}/`);
      expect(await imageWidth(stranger, imageUrl)).toBe(0);
      const direct = await stranger.request.get(imageUrl);
      expect(direct.status()).toBe(403);

      const bob = await freshPage();
      await signInOnPage(bob, fixture.job.page.url, 'bo');
      await bob.click('#photo-grid-button');
      await bob.waitForSelector('#photo-grid[aria-busy="false"]', { state: 'attached' });
      expect(await bob.textContent('#photo-grid-status')).toBe('No photos in this folder.');
      expect(await imageWidth(bob, imageUrl)).toBe(0);
    });

    it('shows the photos of the own public folder in the grid too (served unsigned)', async () => {
      await aliceClient.upload('public', `${aliceIdentity}/pics/green.png`, tinyPng(5, 5, [30, 200, 30]), { contentType: 'image/png' });
      await alice.locator('#locations button', { hasText: 'Public' }).click();
      await waitForListing(alice);
      await openFolder(alice, `${aliceIdentity}/pics/`);
      await alice.waitForSelector('#photo-grid li img', { state: 'attached' });
      await alice.waitForSelector('#photo-grid[aria-busy="false"]', { state: 'attached' });
      expect(await alice.textContent('#photo-grid-status')).toBe('1 photo.');
      await expect.poll(() => alice.$eval('#photo-grid img', (image) => (image as HTMLImageElement).naturalWidth)).toBe(5);
      expect(await alice.getAttribute('#photo-grid img', 'src')).toBe(`${cdnUrl}/public/${encodeURIComponent(aliceIdentity)}/pics/green.png`);
      await alice.locator('#locations button', { hasText: 'My files' }).click();
      await waitForListing(alice);
      await openFolder(alice, 'photos/');
    });

    it('gets a CDN link in the details panel, which a browser without cookies opens until it expires', async () => {
      await alice.click('#photo-grid-button');
      expect(await alice.getAttribute('#photo-grid-button', 'aria-pressed')).toBe('false');
      await alice.locator('#breadcrumbs button', { hasText: 'My files' }).click();
      await waitForListing(alice);
      await openFolder(alice, 'docs/');
      await entry(alice, 'docs/linked.txt').locator('button[data-action="details"]').click();
      await alice.waitForSelector('#details:not([hidden])');
      await alice.selectOption('#cdn-link-lifetime', '3600');
      await alice.click('#cdn-link-button');
      await alice.waitForSelector('#cdn-link-result:not([hidden])');
      const link = await alice.inputValue('#cdn-link');
      expect(link.startsWith(`${cdnUrl}/users/${encodeURIComponent(aliceIdentity)}/docs/linked.txt?`)).toBe(true);
      expect(new URL(link).searchParams.get('Signature')).toBeTruthy();
      expect(await alice.textContent('#cdn-link-status')).toMatch(/^Anyone with this link can open the file through the CDN until /);
      const fresh = await freshPage();
      const opened = await fresh.request.get(link);
      expect(opened.status()).toBe(200);
      expect(await opened.text()).toBe('linked through the CDN');
      await alice.click('#details-close');
    });

    it('publishes a file: it moves to Public, and its CDN address opens in a fresh browser without cookies; publishing the same name again is refused', async () => {
      await entry(alice, 'docs/notice.txt').locator('button[data-action="publish"]').click();
      await alice.waitForSelector('#confirm-dialog[open]');
      expect(await alice.textContent('#confirm-text')).toBe('Publish docs/notice.txt? It moves to Public, where anyone with its address can open it without signing in.');
      await alice.click('#confirm-dialog button[data-choice="publish"]');
      await alice.waitForSelector('#address-dialog[open], #message:not([hidden])');
      expect(await alice.isVisible('#message') ? await alice.textContent('#message') : '').toBe('');
      const address = await alice.inputValue('#address-field');
      expect(address).toBe(`${cdnUrl}/public/${encodeURIComponent(aliceIdentity)}/docs/notice.txt`);
      expect(await alice.evaluate(() => document.activeElement?.id)).toBe('address-copy');
      await alice.click('#address-dialog button[value="close"]');
      await expect.poll(() => entry(alice, 'docs/notice.txt').count()).toBe(0);

      const guestBrowser = await browser.newContext();
      contexts.push(guestBrowser);
      expect(await guestBrowser.cookies()).toEqual([]);
      const reader = await guestBrowser.newPage();
      const response = await reader.goto(address);
      expect(response?.status()).toBe(200);
      expect(await reader.textContent('body')).toBe('published notice');
      expect(await aliceClient.properties('public', `${aliceIdentity}/docs/notice.txt`)).toMatchObject({ size: 16 });

      await aliceClient.upload('private', 'docs/notice.txt', Buffer.from('a second notice'), { contentType: 'text/plain' });
      await alice.locator('#breadcrumbs button', { hasText: 'My files' }).click();
      await waitForListing(alice);
      await openFolder(alice, 'docs/');
      await entry(alice, 'docs/notice.txt').locator('button[data-action="publish"]').click();
      await alice.click('#confirm-dialog button[data-choice="publish"]');
      await expect.poll(() => alice.textContent('#message')).toBe('A file with that name already exists.');
      expect(await entry(alice, 'docs/notice.txt').count()).toBe(1);
      expect(await (await reader.request.get(address)).text()).toBe('published notice');
    });

    it('requests files with the keyboard: the uploader address works once from a browser that never signed in', async () => {
      await alice.focus('#request-files-button');
      await alice.keyboard.press('Enter');
      await alice.waitForSelector('#request-dialog[open]');
      expect(await alice.evaluate(() => document.activeElement?.id)).toBe('request-max-size');
      expect(await alice.textContent('#request-folder')).toBe('private:docs/');
      await alice.selectOption('#request-max-size', '1048576');
      await alice.selectOption('#request-type', 'text/plain');
      await alice.focus('#request-create');
      await alice.keyboard.press('Enter');
      await alice.waitForSelector('#request-result:not([hidden])');
      expect(await alice.evaluate(() => document.activeElement?.id)).toBe('request-copy');
      const address = await alice.inputValue('#request-address');
      expect(address.startsWith(`${fixture.job.page.url}/upload.html#`)).toBe(true);
      expect(await alice.textContent('#request-expiry')).toMatch(/^Anyone with this address can upload one file of at most 1\.0 MiB into this folder, once, until /);
      const { scrollWidth, clientWidth } = await sidewaysOverflow(alice);
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      await alice.keyboard.press('Escape');

      const stranger = await freshPage({ phone: true });
      await stranger.goto(address);
      await stranger.waitForSelector('body[data-ready="true"]');
      await stranger.setInputFiles('#upload-file', { name: 'reply.txt', mimeType: 'text/plain', buffer: Buffer.from('my reply') });
      await stranger.click('#upload-button');
      await stranger.waitForSelector('body[data-state="done"]');
      const again = await freshPage();
      await again.goto(address);
      await again.waitForSelector('body[data-ready="true"]');
      await again.setInputFiles('#upload-file', { name: 'again.txt', mimeType: 'text/plain', buffer: Buffer.from('again') });
      await again.click('#upload-button');
      await again.waitForSelector('body[data-state="used"]');
      expect(await again.textContent('#upload-status')).toBe('This link has already been used. Ask the person who sent it for a new one.');

      const listing = await aliceClient.listFolder({ location: 'private', prefix: 'docs/' });
      const uploaded = listing.files.filter((file) => /^docs\/[0-9a-f]{16}-upload/.test(file.key));
      expect(uploaded).toHaveLength(1);
      const stored = await aliceClient.download('private', uploaded[0]!.key);
      expect(Buffer.from(await new Response(stored.body).arrayBuffer()).toString()).toBe('my reply');
    });

    it('offers a guest no photo grid and no CDN link (the token service signs for signed-in sessions only)', async () => {
      const guest = await freshPage();
      await guest.goto(`${fixture.job.page.url}/`);
      await guest.waitForSelector('body[data-ready="true"]');
      await guest.click('#guest-button');
      await guest.waitForSelector('#storage:not([hidden])');
      await waitForListing(guest);
      expect(await guest.isHidden('#view-tools')).toBe(true);
      await guest.setInputFiles('#file-input', { name: 'guest.txt', mimeType: 'text/plain', buffer: Buffer.from('guest file') });
      await guest.waitForSelector('#uploads li[data-file="guest.txt"][data-state="succeeded"]');
      await entry(guest, 'guest.txt').locator('button[data-action="details"]').click();
      await guest.waitForSelector('#details:not([hidden])');
      expect(await guest.isHidden('#cdn-link-tools')).toBe(true);
    });

    it('names every new input for screen readers, and logged no console error and no failed answer but the refused second publication', async () => {
      const unnamed = await alice.evaluate(() =>
        [...document.querySelectorAll('input, select')]
          .filter((input) => (input as HTMLInputElement).labels?.length === 0 && !input.getAttribute('aria-label') && !input.getAttribute('aria-labelledby'))
          .map((input) => input.id),
      );
      expect(unnamed).toEqual([]);
      // The second "Publish" of docs/notice.txt was S3's 412 to the copy's If-None-Match: *; nothing else failed.
      expect(problems.failedResponses.filter((line) => !line.startsWith('412 '))).toEqual([]);
      expect(problems.failedResponses.filter((line) => line.startsWith('412 '))).toHaveLength(1);
      expect(problems.console.filter((line) => !line.includes('status of 412'))).toEqual([]);
    });
  });
});
