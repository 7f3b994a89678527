import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_PLACEHOLDER, shellQuote } from '../../../app/cli/curl-command.ts';
import { EXIT_CODES } from '../../../app/cli/exit-codes.ts';
import { startMainJobFixture, type MainJobFixture } from '../client/main-job-fixture.ts';
import { jsonOf, runCli, type CliRun } from './cli-runner.ts';

interface LinkJson {
  url: string;
  expiresAt: string | null;
}
interface UploadLinkJson {
  url: string;
  method: 'PUT' | 'POST';
  fields?: Record<string, string>;
  headers?: Record<string, string>;
  key: string;
  expiresAt: string;
}

const DAY_MS = 86_400_000;

/** `link` and `upload-link` against `npm start` in-process (delivery on, guests allowed, as the local main job runs). */
describe('CLI: link and upload-link against the main job', () => {
  let main: MainJobFixture;
  let work: string;
  let cdnUrl: string;
  let caCertificate: string;

  beforeAll(async () => {
    main = await startMainJobFixture();
    work = await mkdtemp(join(tmpdir(), 'cli-links-'));
    const outputs = JSON.parse(await readFile(main.outputsPath, 'utf8')) as { cdnUrl: string; caCertificate: string };
    cdnUrl = outputs.cdnUrl;
    caCertificate = await readFile(outputs.caCertificate, 'utf8');
  });
  afterAll(async () => {
    await main?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const signedIn = async (user: string, tenant?: string) => {
    const cli = (args: string[]) => runCli(args, { outputsPath: main.outputsPath, home: join(work, `home-${user}`), cwd: work });
    const login = jsonOf<{ identityId: string }>(await cli(['login', '--user', user, ...(tenant ? ['--tenant', tenant] : []), '--json']));
    return { cli, identityId: login.identityId };
  };
  const localFile = async (name: string, content: string | Buffer) => {
    const path = join(work, name);
    await writeFile(path, content);
    return path;
  };
  const expectFailure = (run: CliRun, code: number, message: string) => {
    expect(run.code, run.stderr).toBe(code);
    expect(run.stderr).toContain(message);
  };
  /** A request as a recipient's browser or curl makes it (HTTPS trusting the local CA). */
  const send = (url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}) =>
    new Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const request = url.startsWith('https:') ? httpsRequest : httpRequest;
      const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers, ca: caCertificate, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: response.headers }));
      });
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });

  describe('link', () => {
    it('without --cdn prints the share link (S3, signed by the CLI), which opens the file', async () => {
      const { cli } = await signedIn('lina');
      expect((await cli(['cp', await localFile('plain.txt', 'plain link'), 'private:plain.txt'])).code).toBe(0);
      const link = jsonOf<LinkJson>(await cli(['link', 'plain.txt', '--expires', '10m', '--json']));
      expect(link.url).toContain('X-Amz-Signature=');
      expect(link.url.startsWith(cdnUrl)).toBe(false);
      expect(Date.parse(link.expiresAt!) - Date.now()).toBeGreaterThan(9 * 60_000);
      expect(Date.parse(link.expiresAt!) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
      expect((await send(link.url)).body).toBe('plain link');
      const human = await cli(['link', 'plain.txt']);
      expect(human.stdout).toMatch(/^https:\/\/\S+X-Amz-Signature=\S+\n(?:valid until|\(note: valid until) /);
    });

    it('with --cdn prints a CDN link the token service signed, for days, which opens the file with the chosen disposition', async () => {
      const { cli, identityId } = await signedIn('cora');
      expect((await cli(['cp', await localFile('cat.txt', 'a cat'), 'private:photos/cat.txt'])).code).toBe(0);
      const link = jsonOf<LinkJson>(await cli(['link', 'private:photos/cat.txt', '--cdn', '--expires', '7d', '--download', '--json']));
      expect(link.url.startsWith(`${cdnUrl}/users/${encodeURIComponent(identityId)}/photos/cat.txt?`)).toBe(true);
      expect(new URL(link.url).searchParams.get('Signature')).toBeTruthy();
      expect(Math.abs(Date.parse(link.expiresAt!) - (Date.now() + 7 * DAY_MS))).toBeLessThan(60_000);
      const opened = await send(link.url);
      expect(opened.status).toBe(200);
      expect(opened.body).toBe('a cat');
      expect(opened.headers['content-disposition']).toMatch(/^attachment; filename="cat.txt"/);
      // The same signature does not open another file of hers.
      const other = link.url.replace('/photos/cat.txt?', '/photos/dog.txt?');
      expect((await send(other)).status).toBe(403);
    });

    it('with --cdn on a public file prints its unsigned CDN address, which anyone opens ("expiresAt": null)', async () => {
      const { cli, identityId } = await signedIn('pablo');
      expect((await cli(['cp', await localFile('logo.txt', 'public logo'), `public:${identityId}/logo.txt`])).code).toBe(0);
      const run = await cli(['link', `public:${identityId}/logo.txt`, '--cdn', '--expires', '1h', '--json']);
      const link = jsonOf<LinkJson>(run);
      expect(link).toEqual({ url: `${cdnUrl}/public/${encodeURIComponent(identityId)}/logo.txt`, expiresAt: null });
      expect(run.stderr).toContain('its CDN address does not expire (--expires ignored)');
      expect((await send(link.url)).body).toBe('public logo');
      expect((await cli(['link', `public:${identityId}/logo.txt`, '--cdn'])).stdout).toBe(`${link.url}\n(public: no expiry)\n`);
      expectFailure(await cli(['link', `public:${identityId}/logo.txt`, '--cdn', '--download']), EXIT_CODES.usage, 'cannot carry --download or --inline');
    });

    it('refuses clearly: both dispositions, a bad duration, a lifetime past the deployment maximum, a missing file, a folder', async () => {
      const { cli } = await signedIn('rhea');
      expect((await cli(['cp', await localFile('r.txt', 'r'), 'private:r.txt'])).code).toBe(0);
      expectFailure(await cli(['link', 'r.txt', '--download', '--inline']), EXIT_CODES.usage, 'give at most one of --download and --inline');
      expectFailure(await cli(['link', 'r.txt', '--expires', '1w']), EXIT_CODES.usage, 'expected a duration above zero: 90s, 30m, 12h, 7d, or seconds');
      expectFailure(await cli(['link', 'r.txt', '--expires', '0']), EXIT_CODES.usage, 'expected a duration above zero');
      const tooLong = await cli(['link', 'r.txt', '--cdn', '--expires', '8d']);
      expectFailure(tooLong, EXIT_CODES.usage, '"expiresInSeconds" must be a whole number of seconds from 1 to 604800');
      expect(tooLong.stdout).toBe('');
      expectFailure(await cli(['link', 'missing.txt', '--cdn']), EXIT_CODES.notFound, 'missing.txt');
      expectFailure(await cli(['link', 'private:folder/']), EXIT_CODES.usage, 'is a folder');
    });

    it('a protected file of someone else is linked through the CDN for a reader, and bob cannot link into alice\'s private files by path', async () => {
      const { cli: alice, identityId: aliceId } = await signedIn('alma');
      expect((await alice(['cp', await localFile('card.txt', 'business card'), `protected:${aliceId}/card.txt`])).code).toBe(0);
      const { cli: bob } = await signedIn('bert');
      const link = jsonOf<LinkJson>(await bob(['link', `protected:${aliceId}/card.txt`, '--cdn', '--json']));
      expect(link.url.startsWith(`${cdnUrl}/protected/${encodeURIComponent(aliceId)}/card.txt?`)).toBe(true);
      expect((await send(link.url)).body).toBe('business card');
      // A bare path is always in bob's own location: alice's private folder cannot be named at all.
      const own = await bob(['link', `users/${aliceId}/card.txt`, '--cdn']);
      expect(own.code).toBe(EXIT_CODES.notFound);
    });
  });

  describe('upload-link', () => {
    it('PUT (the default), as JSON: the first upload with exactly its headers is stored, a second use gets S3\'s 412', async () => {
      const { cli } = await signedIn('ulla');
      const run = await cli(['upload-link', 'private:inbox/', '--max-bytes', '1KiB', '--type', 'text/plain', '--expires', '30m', '--json']);
      expect(run.stderr).not.toContain('note:');
      const link = jsonOf<UploadLinkJson>(run);
      expect(link.method).toBe('PUT');
      expect(link.fields).toBeUndefined();
      expect(link.key).toMatch(/^inbox\/[0-9a-f]{16}-upload(?:\.txt)?$/);
      expect(link.headers).toMatchObject({ 'If-None-Match': '*', 'Content-Type': 'text/plain' });
      expect(Date.parse(link.expiresAt)).toBeGreaterThan(Date.now());
      expect(Date.parse(link.expiresAt)).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
      const first = await send(link.url, { method: 'PUT', headers: link.headers, body: Buffer.from('from a stranger') });
      expect(first.status, first.body).toBe(200);
      const second = await send(link.url, { method: 'PUT', headers: link.headers, body: Buffer.from('overwritten') });
      expect(second.status).toBe(412);
      expect(second.body).toContain('<Code>PreconditionFailed</Code>');
      expect((await cli(['cp', `private:${link.key}`, join(work, 'stranger.txt')])).code).toBe(0);
      expect(await readFile(join(work, 'stranger.txt'), 'utf8')).toBe('from a stranger');
    });

    it('the text form is a curl command that uploads the file as printed, and only once', async () => {
      const { cli } = await signedIn('curt');
      const run = await cli(['upload-link', 'inbox/', '--max-bytes', '10MB']);
      expect(run.code, run.stderr).toBe(0);
      const [comment, command, ...rest] = run.stdout.trimEnd().split('\n');
      expect(rest).toEqual([]);
      expect(comment).toMatch(/^# Upload link for private:inbox\/[0-9a-f]{16}-upload\S* \(one file; S3 does not enforce --max-bytes on a PUT link, use --method post for that\), valid until \S+; it works once: a second upload is refused\.$/);
      expect(command).toMatch(/^curl --fail-with-body --cacert \S+ -X PUT -H 'If-None-Match: \*' /);
      const file = await localFile('for-curl.txt', 'sent with curl');
      const curl = (line: string) =>
        new Promise<{ code: number; output: string }>((resolve) => {
          execFile('/bin/sh', ['-c', line.replace(FILE_PLACEHOLDER, shellQuote(file))], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
        });
      expect(await curl(command!)).toMatchObject({ code: 0 });
      const again = await curl(command!);
      expect(again.code).not.toBe(0);
      expect(again.output).toContain('PreconditionFailed');
      const key = /private:(\S+) \(/.exec(comment!)![1]!;
      expect((await cli(['cp', `private:${key}`, join(work, 'curl-back.txt')])).code).toBe(0);
      expect(await readFile(join(work, 'curl-back.txt'), 'utf8')).toBe('sent with curl');
    });

    it('POST gives form fields that take one file within the size range, into the fresh key only', async () => {
      const { cli } = await signedIn('paula');
      const link = jsonOf<UploadLinkJson>(await cli(['upload-link', 'private:forms/', '--max-bytes', '16', '--method', 'post', '--json']));
      expect(link.method).toBe('POST');
      expect(link.fields?.key?.endsWith(link.key)).toBe(true);
      expect(link.key).toMatch(/^forms\/[0-9a-f]{16}-upload/);
      const post = async (content: string, fields = link.fields!) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append('file', new Blob([content]), 'upload.txt');
        const encoded = new Response(form);
        return send(link.url, { method: 'POST', headers: { 'content-type': encoded.headers.get('content-type')! }, body: Buffer.from(await encoded.arrayBuffer()) });
      };
      expect((await post('x'.repeat(17))).body).toContain('EntityTooLarge');
      const stored = await post('sixteen bytes!!!');
      expect(stored.status, stored.body).toBeLessThan(300);
      const elsewhere = await post('elsewhere', { ...link.fields!, key: link.fields!.key!.replace(/[^/]+$/, 'chosen-by-uploader.txt') });
      expect(elsewhere.status).toBe(403);
      expect((await cli(['cp', `private:${link.key}`, join(work, 'form-back.txt')])).code).toBe(0);
      expect(await readFile(join(work, 'form-back.txt'), 'utf8')).toBe('sixteen bytes!!!');
    });

    it('refuses clearly: no --max-bytes, a bad size, type or method, a file path, a folder without write', async () => {
      const { cli } = await signedIn('ursula');
      expectFailure(await cli(['upload-link', 'inbox/']), EXIT_CODES.usage, "required option '--max-bytes <size>' not specified");
      // A week is a valid request, but the link cannot outlive the credentials that sign it: said, not silently cut.
      const capped = await cli(['upload-link', 'inbox/', '--max-bytes', '10', '--expires', '7d', '--json']);
      expect(capped.code, capped.stderr).toBe(0);
      expect(capped.stderr).toContain('when the credentials that signed it expire, not after the --expires asked for');
      expect(Date.parse(jsonOf<UploadLinkJson>(capped).expiresAt)).toBeLessThan(Date.now() + 2 * 3_600_000);
      expectFailure(await cli(['upload-link', 'inbox/', '--max-bytes', '10XB']), EXIT_CODES.usage, 'expected a size above zero in whole bytes');
      expectFailure(await cli(['upload-link', 'inbox/', '--max-bytes', '1MB', '--type', 'jpeg']), EXIT_CODES.usage, 'expected a content type such as image/jpeg');
      expectFailure(await cli(['upload-link', 'inbox/', '--max-bytes', '1MB', '--method', 'get']), EXIT_CODES.usage, 'Allowed choices are put, post');
      expectFailure(await cli(['upload-link', 'inbox/', '--max-bytes', '1MB', '--expires', '5 m']), EXIT_CODES.usage, 'expected a duration above zero');
      expectFailure(await cli(['upload-link', 'shared:drop/', '--max-bytes', '1MB']), EXIT_CODES.accessDenied, 'you may not write in shared:drop/');
    });
  });
});
