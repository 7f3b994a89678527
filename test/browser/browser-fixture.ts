import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's `chromium` package (`.ci/run` installs it); `CHROMIUM_PATH` points elsewhere. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // No sandbox: CI runs as root in a container; no network side-traffic from the browser itself.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the page, signs in through its form, and waits until the first folder is listed (or said empty). */
export async function signInOnPage(page: Page, pageUrl: string, user: string, tenant?: string): Promise<string> {
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#user', user);
  if (tenant) await page.fill('#tenant', tenant);
  await page.click('#sign-in-button');
  await page.waitForSelector('#storage:not([hidden])');
  await waitForListing(page);
  return (await page.textContent('#identity-id')) ?? '';
}

/** Until the folder shown is listed (its list is no longer busy). */
export async function waitForListing(page: Page): Promise<void> {
  await page.waitForSelector('#entries[aria-busy="false"]', { state: 'attached' });
}

/** What the console and the page's uncaught errors said at level error, and every answer of 400 or more, from now on. */
export function recordPageProblems(page: Page): { console: string[]; failedResponses: string[] } {
  const problems = { console: [] as string[], failedResponses: [] as string[] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.console.push(message.text());
  });
  page.on('pageerror', (error) => problems.console.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.failedResponses.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

/** The page fits its viewport: nothing makes it scroll sideways. */
export async function sidewaysOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
}

/** A page on an origin the stack's CORS rules do not list: the other site a browser may be on. */
export async function startForeignOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>another site</title><p>another site</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Status texts of the page's upload list as they change (percentages, then "done" or "failed"). */
export async function recordUploadStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { uploadStatuses: string[] }).uploadStatuses = seen;
    new MutationObserver(() => {
      for (const status of document.querySelectorAll('#uploads .status')) {
        const text = status.textContent ?? '';
        if (seen.at(-1) !== text) seen.push(text);
      }
    }).observe(document.getElementById('uploads')!, { subtree: true, childList: true, characterData: true });
  });
}

export async function uploadStatuses(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { uploadStatuses: string[] }).uploadStatuses);
}

/** A real PNG of one colour, so a decoded image has a natural width. */
export function tinyPng(width: number, height: number, rgb: [number, number, number] = [128, 128, 128]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, checksum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.concat(Array.from({ length: width }, () => Buffer.from(rgb)))]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

/** Whether an image at `url` loads in `page` (with whatever cookies its context holds): its natural width, 0 when refused. */
export async function imageWidth(page: Page, url: string): Promise<number> {
  return page.evaluate(
    (source) =>
      new Promise<number>((resolve) => {
        const image = new Image();
        image.onload = () => resolve(image.naturalWidth);
        image.onerror = () => resolve(0);
        image.src = source;
      }),
    url,
  );
}
