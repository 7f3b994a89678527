import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopedStorageClient } from '../../app/library/index.ts';
import { startMainJobFixture, type MainJobFixture } from '../integration/client/main-job-fixture.ts';
import { imageWidth, launchChromium, tinyPng } from './browser-fixture.ts';

const SECRET = 'the private words of ann';
const SCRIPT_RAN = 'the script ran';

/**
 * The uploaded attack: an inline script that says it ran (synchronously, while the document is
 * parsed, so before its load event), then reads the victim's private file from the CDN origin with
 * the victim's cookies and writes it into the title.
 */
function evilDocument(victimSecretPath: string): string {
  return `<!doctype html><html><head><title>evil</title></head><body><p>harmless looking</p><script>
document.title = ${JSON.stringify(SCRIPT_RAN)};
fetch(${JSON.stringify(victimSecretPath)}, { credentials: 'include' }).then((answer) => answer.text()).then((text) => { document.title = 'stolen: ' + text; });
</script></body></html>`;
}

/** The same attack as an SVG image, whose script runs when the file is opened as a document. */
function evilSvg(victimSecretPath: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>evil svg</title><script>
document.title = ${JSON.stringify(SCRIPT_RAN)};
fetch(${JSON.stringify(victimSecretPath)}, { credentials: 'include' }).then((answer) => answer.text()).then((text) => { document.title = 'stolen: ' + text; });
</script><rect width="10" height="10" fill="red"/></svg>`;
}


/**
 * Stored XSS on the CDN origin: a user uploads an HTML file into a folder the CDN serves, and a
 * victim whose browser holds the CDN's signed cookies opens its address. The distribution's
 * Content-Security-Policy (sandbox, no script) must keep the victim's files out of its reach,
 * while the victim's own images still load through the CDN on the app's page.
 */
describe('a document uploaded to the CDN cannot read another user\'s files with their cookies (Chromium, main job)', () => {
  let fixture: MainJobFixture;
  let browser: Browser;
  let victimContext: BrowserContext;
  let appPage: Page;
  let cdnUrl: string;
  let secretUrl: string;
  let photoUrl: string;
  let evilUrl: string;
  let evilSvgUrl: string;

  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startMainJobFixture(), launchChromium()]);
    const ann: ScopedStorageClient = await fixture.clientFor('ann');
    const ben: ScopedStorageClient = await fixture.clientFor('ben');
    const annId = (await ann.whoami()).identityId;
    const benId = (await ben.whoami()).identityId;
    await ann.upload('private', 'secret.txt', Buffer.from(SECRET), { contentType: 'text/plain' });
    await ann.upload('private', 'photos/ann.png', tinyPng(6, 3), { contentType: 'image/png' });

    victimContext = await browser.newContext();
    appPage = await victimContext.newPage();
    await appPage.goto(`${fixture.job.page.url}/`);
    const outputs = await appPage.evaluate(async () => ((await (await fetch('/config.json')).json()) as { outputs: { cdnUrl: string; tokenServiceUrl: string } }).outputs);
    cdnUrl = outputs.cdnUrl;
    secretUrl = `${cdnUrl}/users/${encodeURIComponent(annId)}/secret.txt`;
    photoUrl = `${cdnUrl}/users/${encodeURIComponent(annId)}/photos/ann.png`;

    await ben.upload('public', `${benId}/evil.html`, Buffer.from(evilDocument(new URL(secretUrl).pathname)), { contentType: 'text/html' });
    evilUrl = `${cdnUrl}/public/${encodeURIComponent(benId)}/evil.html`;
    await ben.upload('public', `${benId}/evil.svg`, Buffer.from(evilSvg(new URL(secretUrl).pathname)), { contentType: 'image/svg+xml' });
    evilSvgUrl = `${cdnUrl}/public/${encodeURIComponent(benId)}/evil.svg`;

    // Ann's page asks for the CDN cookies as the app does: a credentialed POST from the page's origin.
    const sessionToken = await fixture.sessionFor('ann');
    const status = await appPage.evaluate(
      async ({ tokenServiceUrl, sessionToken }) =>
        (
          await fetch(`${tokenServiceUrl}/v1/links/cookies`, {
            method: 'POST',
            credentials: 'include',
            headers: { authorization: `Bearer ${sessionToken}`, 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
      { tokenServiceUrl: outputs.tokenServiceUrl, sessionToken },
    );
    expect(status).toBe(200);
  });

  afterAll(async () => {
    await victimContext?.close();
    await browser?.close();
    await fixture?.close();
  });

  it('the victim\'s browser holds cookies that read the private file (what the attack would steal)', async () => {
    const names = (await victimContext.cookies(secretUrl)).map((cookie) => cookie.name).sort();
    expect(names).toEqual(expect.arrayContaining(['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']));
    const direct = await victimContext.request.get(secretUrl);
    expect(direct.status()).toBe(200);
    expect(await direct.text()).toBe(SECRET);
  });

  it('the victim\'s own image still loads through the CDN with the cookies, in an <img> on the app\'s page', async () => {
    expect(await imageWidth(appPage, photoUrl)).toBe(6);
  });

  it('opening the uploaded HTML runs none of its script: no request for the private file, the secret never in the page', async () => {
    const evilPage = await victimContext.newPage();
    const requested: string[] = [];
    evilPage.on('request', (request) => requested.push(request.url()));
    const blockedScript = evilPage.waitForEvent('console', (message) => /Blocked script execution/.test(message.text()));
    const answer = await evilPage.goto(evilUrl, { waitUntil: 'load' });
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-type']).toBe('text/html');
    expect(answer?.headers()['content-security-policy']).toContain('sandbox');
    // The inline script would have renamed the page while it was parsed, before the load event.
    expect(await evilPage.title()).toBe('evil');
    await blockedScript;
    expect(requested).toEqual([evilUrl]);
    expect(await evilPage.content()).not.toContain(SECRET);
    await evilPage.close();
  });

  it('an uploaded SVG with a script, opened as a document, runs none of it either', async () => {
    const evilPage = await victimContext.newPage();
    const requested: string[] = [];
    evilPage.on('request', (request) => requested.push(request.url()));
    const blockedScript = evilPage.waitForEvent('console', (message) => /Blocked script execution/.test(message.text()));
    const answer = await evilPage.goto(evilSvgUrl, { waitUntil: 'load' });
    expect(answer?.status()).toBe(200);
    expect(await evilPage.title()).toBe('evil svg');
    await blockedScript;
    expect(requested).toEqual([evilSvgUrl]);
    await evilPage.close();
  });

  it('the victim\'s own image opened directly from the CDN still shows: the sandbox keeps images', async () => {
    const imagePage = await victimContext.newPage();
    const answer = await imagePage.goto(photoUrl, { waitUntil: 'load' });
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toContain('sandbox');
    expect(await imagePage.$eval('img', (image) => (image as HTMLImageElement).naturalWidth)).toBe(6);
    await imagePage.close();
  });
});
