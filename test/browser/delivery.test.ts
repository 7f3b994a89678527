import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopedStorageClient } from '../../app/library/index.ts';
import { uploadAddress, type UploadAddressLink } from '../../app/web/upload-address.ts';
import { startMainJobFixture, type MainJobFixture } from '../integration/client/main-job-fixture.ts';
import { launchChromium, recordPageProblems, sidewaysOverflow } from './browser-fixture.ts';

const PHONE = { width: 390, height: 844 };

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

    /** A single-use PUT link as the contract describes it, signed with alice's own credentials. */
    async function putLink(key: string, options: { maxBytes: number; contentType?: string }): Promise<UploadAddressLink> {
      const location = await alice.location('private');
      const headers: Record<string, string> = { 'If-None-Match': '*', 'x-amz-server-side-encryption': 'AES256', ...(options.contentType ? { 'Content-Type': options.contentType } : {}) };
      const url = await getSignedUrl(
        alice.s3,
        new PutObjectCommand({ Bucket: fixture.job.cloud.outputs.bucket, Key: `${location.prefix}${key}`, IfNoneMatch: '*', ServerSideEncryption: 'AES256', ContentType: options.contentType }),
        { expiresIn: 600, signableHeaders: new Set(['if-none-match', 'x-amz-server-side-encryption', ...(options.contentType ? ['content-type'] : [])]) },
      );
      return { url, method: 'PUT', headers, key, expiresAt: new Date(Date.now() + 600_000).toISOString(), maxBytes: options.maxBytes, ...(options.contentType ? { contentType: options.contentType } : {}) };
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
      const link = await putLink('inbox/from-a-stranger.txt', { maxBytes: 1024, contentType: 'text/plain' });
      const first = await openUploader(link);
      const problems = recordPageProblems(first);
      expect(await first.textContent('#upload-terms')).toContain('at most 1.0 KiB, of type text/plain');
      const firstStatus = await chooseAndUpload(first, { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from a stranger\n') });
      expect(firstStatus).toBe('Uploaded hello.txt (22 B). Thank you: you can close this page.');
      expect(await first.getAttribute('body', 'data-state')).toBe('done');
      expect(await first.isDisabled('#upload-button')).toBe(true);
      expect(problems.failedResponses).toEqual([]);
      const stored = await alice.download('private', 'inbox/from-a-stranger.txt');
      expect(Buffer.from(await new Response(stored.body).arrayBuffer()).toString()).toBe('hello from a stranger\n');

      const second = await openUploader(link);
      const secondStatus = await chooseAndUpload(second, { name: 'other.txt', mimeType: 'text/plain', buffer: Buffer.from('replacing it\n') });
      expect(secondStatus).toMatch(/^This link has already been used\./);
      expect(await second.getAttribute('body', 'data-state')).toBe('used');
      const still = await alice.download('private', 'inbox/from-a-stranger.txt');
      expect(Buffer.from(await new Response(still.body).arrayBuffer()).toString()).toBe('hello from a stranger\n');
    });

    it('refuses before sending a file larger than the link allows or of another type, and lets the person choose again', async () => {
      const link = await putLink('inbox/checked.txt', { maxBytes: 10, contentType: 'text/plain' });
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

    it('says so for a damaged address and for an expired link, without sending anything', async () => {
      const damaged = await freshPage();
      await damaged.goto(`${fixture.job.page.url}/upload.html#eyJ1cmwiOiJqYXZhc2NyaXB0OmFsZXJ0KDEpIn0`);
      await damaged.waitForSelector('body[data-ready="true"]');
      expect(await damaged.getAttribute('body', 'data-state')).toBe('damaged');
      expect(await damaged.textContent('#upload-status')).toBe('The upload address is damaged: no upload URL. Copy the whole address you were sent, or ask for a new one.');
      expect(await damaged.isDisabled('#upload-button')).toBe(true);

      const link = await putLink('inbox/late.txt', { maxBytes: 10 });
      const expired = await openUploader({ ...link, expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(await expired.getAttribute('body', 'data-state')).toBe('expired');
      expect(await expired.textContent('#upload-status')).toBe('This link has expired. Ask the person who sent it for a new one.');
    });

    it('is usable at 390 px with a labelled file input, and the page server never sees the link', async () => {
      const link = await putLink('inbox/phone.txt', { maxBytes: 10 });
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
    });
  });
});
