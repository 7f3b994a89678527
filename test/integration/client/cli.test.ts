import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../app/cli/exit-codes.ts';
import { startMainJobFixture, type MainJobFixture } from './main-job-fixture.ts';

const BIN = fileURLToPath(new URL('../../../app/cli/bin.mjs', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const MIB = 1024 * 1024;

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a user's script runs it: a child process, its own home directory, the outputs file. */
describe('CLI against the main job', () => {
  let main: MainJobFixture;
  let workDirectory: string;
  let home: string;

  beforeAll(async () => {
    main = await startMainJobFixture();
    workDirectory = await mkdtemp(join(tmpdir(), 'cli-test-'));
    home = join(workDirectory, 'home');
  });
  afterAll(async () => {
    await main?.close();
    if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
  });

  const cli = (args: string[], options: { home?: string } = {}) =>
    new Promise<CliRun>((resolve) => {
      // The flags, not the caller's environment, say where the outputs and the session are.
      const { SCOPED_STORAGE_OUTPUTS: _outputs, SCOPED_STORAGE_HOME: _home, ...environment } = process.env;
      execFile(process.execPath, [BIN, '--outputs', main.outputsPath, '--home', options.home ?? home, ...args], { cwd: workDirectory, env: environment }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const json = <T>(run: CliRun): T => {
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as T;
  };

  it('--help shows the commands, examples and exit codes', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const text of ['login', 'locations', 'cp', 'mv', 'stat', 'mkdir', 'lookup', 'upload', 'share', 'Paths: [location:]key', 'Examples:', 'scoped-storage cp ./photo.jpg private:photos/', 'Exit codes:']) expect(run.stdout).toContain(text);
  });

  it('usage errors exit with 2', async () => {
    const runs = await Promise.all([cli(['frobnicate']), cli(['share', 'x.txt', '--expires', '-5']), cli(['login']), cli(['upload'])]);
    for (const run of runs) expect(run.code, run.stderr).toBe(EXIT_CODES.usage);
    expect(runs[0]!.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(runs[1]!.stderr).toMatch(/positive whole number/);
    expect(runs[2]!.stderr).toMatch(/give exactly one of --user, --token or --guest/);
    expect(runs[3]!.stderr).toMatch(/missing required argument 'file'/);
  });

  it('exits with 3 when not signed in', async () => {
    const run = await cli(['whoami'], { home: join(workDirectory, 'nobody') });
    expect(run.code).toBe(EXIT_CODES.signInRequired);
    expect(run.stderr).toMatch(/Not signed in.*login/);
  });

  it('signs in, keeps the session in a user-only file, and works with it: whoami, upload, ls, get, share, rm', async () => {
    const login = json<{ signedIn: boolean; user: string; identityId: string }>(await cli(['login', '--user', 'alice', '--tenant', 'acme', '--json']));
    expect(login).toMatchObject({ signedIn: true, user: 'alice', identityId: expect.stringMatching(/^us-east-1:/) });
    expect((await stat(join(home, 'session.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(home)).mode & 0o077).toBe(0);

    const whoami = json<{ identityId: string; isGuest: boolean; principalTags: Record<string, string>; prefix: string; credentialsExpireAt: string }>(await cli(['whoami', '--json']));
    expect(whoami).toEqual({ identityId: login.identityId, isGuest: false, principalTags: { tenant: 'acme' }, prefix: `users/${login.identityId}/`, credentialsExpireAt: expect.any(String) });
    expect(Date.parse(whoami.credentialsExpireAt)).toBeGreaterThan(Date.now());

    const content = randomBytes(3000);
    const localFile = join(workDirectory, 'report.bin');
    await writeFile(localFile, content);
    const uploaded = json<{ key: string; size: number; etag: string; resumed: boolean }>(await cli(['upload', localFile, 'docs/report.bin', '--json']));
    expect(uploaded).toMatchObject({ to: 'private:docs/report.bin', location: 'private', key: 'docs/report.bin', size: 3000, resumed: false });

    const listed = json<{ path: string; folders: string[]; files: Array<{ key: string; size: number; lastModified: string }> }>(await cli(['ls', 'docs/', '--json']));
    expect(listed).toEqual({ path: 'private:docs/', folders: [], files: [{ key: 'docs/report.bin', size: 3000, etag: uploaded.etag, lastModified: expect.any(String) }] });

    const copy = join(workDirectory, 'copy.bin');
    expect(json<{ bytes: number }>(await cli(['get', 'docs/report.bin', copy, '--json']))).toMatchObject({ from: 'private:docs/report.bin', key: 'docs/report.bin', to: copy, bytes: 3000 });
    expect((await readFile(copy)).equals(content)).toBe(true);
    const ranged = join(workDirectory, 'range.bin');
    expect(json<{ bytes: number }>(await cli(['get', 'docs/report.bin', ranged, '--range', 'bytes=0-99', '--json'])).bytes).toBe(100);

    const link = json<{ url: string; expiresAt: string; cappedByCredentials: boolean }>(await cli(['share', 'docs/report.bin', '--expires', '600', '--json']));
    expect(link.cappedByCredentials).toBe(false);
    const fetched = await main.fetchAnonymously(link.url);
    expect(fetched.status).toBe(200);
    expect(fetched.body.equals(content)).toBe(true);
    expect(json<{ cappedByCredentials: boolean }>(await cli(['share', 'docs/report.bin', '--expires', '86400', '--json'])).cappedByCredentials).toBe(true);

    expect(json(await cli(['rm', 'docs/report.bin', '--json']))).toEqual({ deleted: ['docs/report.bin'], failed: [] });
    expect(json(await cli(['ls', '--recursive', '--json']))).toEqual({ path: 'private:', folders: [], files: [] });

    const human = await cli(['whoami']);
    expect(human.stdout).toContain(`identity:    ${login.identityId}`);
  });

  it('exit codes for what scripts branch on: 5 not found, 6 conflict, 2 for a bad key', async () => {
    await cli(['login', '--user', 'bob']);
    const localFile = join(workDirectory, 'once.txt');
    await writeFile(localFile, 'once');
    const [missingKey, missingFile] = await Promise.all([cli(['get', 'no-such-key.txt', join(workDirectory, 'nothing')]), cli(['upload', join(workDirectory, 'no-such-file.txt')])]);
    expect(missingKey.code, missingKey.stderr).toBe(EXIT_CODES.notFound);
    expect(missingKey.stderr).toContain('Not found: download of no-such-key.txt');
    expect(missingFile.code, missingFile.stderr).toBe(EXIT_CODES.notFound);
    expect(missingFile.stderr).toContain('no-such-file.txt');

    expect((await cli(['upload', localFile])).code).toBe(0);
    const again = await cli(['upload', localFile]);
    expect(again.code, again.stderr).toBe(EXIT_CODES.conflict);
    expect(again.stderr).toContain('private:once.txt exists already; use --force to replace it.');
    expect((await cli(['upload', localFile, '--force'])).code).toBe(0);

    const badKey = await cli(['upload', localFile, '../escape.txt']);
    expect(badKey.code).toBe(EXIT_CODES.usage);
    expect(badKey.stderr).toMatch(/must not contain "\." or "\.\." segments/);
  });

  it("no command's output carries the AWS SDK's Node version notice", async () => {
    expect((await cli(['login', '--user', 'gina'])).code).toBe(0);
    for (const command of [['whoami'], ['ls'], ['--help']]) {
      const run = await cli(command);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|require node >=/);
    }
  });

  it('a session the token service does not accept exits with 3', async () => {
    const forgedHome = join(workDirectory, 'forged');
    const run = await cli(['login', '--token', 'forged-session-token'], { home: forgedHome });
    expect(run.code, run.stderr).toBe(EXIT_CODES.signInRequired);
    expect(run.stderr).toMatch(/token service refused/i);
  });

  it('through "npm run storage" from another folder, local paths are that folder\'s (npm runs the script in the repository)', async () => {
    const userFolder = join(workDirectory, 'user-folder');
    await mkdir(userFolder, { recursive: true });
    await writeFile(join(userFolder, 'note-from-here.txt'), 'written in the user folder');
    await copyFile(main.outputsPath, join(userFolder, 'outputs.json'));
    const npmRun = (args: string[]) =>
      new Promise<CliRun>((resolve) => {
        const { SCOPED_STORAGE_OUTPUTS: _outputs, SCOPED_STORAGE_HOME: _home, ...environment } = process.env;
        execFile('npm', ['--prefix', REPOSITORY, 'run', '--silent', 'storage', '--', '--outputs', 'outputs.json', '--home', home, ...args], { cwd: userFolder, env: environment }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
    expect((await cli(['login', '--user', 'npm-user'])).code).toBe(0);
    try {
      const uploaded = await npmRun(['upload', 'note-from-here.txt', 'npm/note.txt']);
      expect(uploaded.code, uploaded.stderr).toBe(0);
      const fetched = await npmRun(['get', 'npm/note.txt', 'fetched-here.txt']);
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(await readFile(join(userFolder, 'fetched-here.txt'), 'utf8')).toBe('written in the user folder');
      expect(await npmRun(['get', 'npm/note.txt']).then((run) => run.code)).toBe(0);
      expect(await readFile(join(userFolder, 'note.txt'), 'utf8')).toBe('written in the user folder');
    } finally {
      // Before the fix these landed in the repository.
      await Promise.all(['fetched-here.txt', 'note.txt'].map((name) => rm(join(REPOSITORY, name), { force: true })));
    }
  });

  it('get refuses to replace an existing local file unless --force (exit 6)', async () => {
    expect((await cli(['login', '--user', 'dora'])).code).toBe(0);
    await writeFile(join(workDirectory, 'fresh.txt'), 'the new content');
    expect((await cli(['upload', join(workDirectory, 'fresh.txt'), 'keep/fresh.txt'])).code).toBe(0);
    const existing = join(workDirectory, 'precious.txt');
    await writeFile(existing, 'my precious local file');
    const refused = await cli(['get', 'keep/fresh.txt', existing]);
    expect(refused.code, refused.stderr).toBe(EXIT_CODES.conflict);
    expect(refused.stderr).toContain(`${existing} exists already`);
    expect(refused.stderr).toContain('--force');
    expect(await readFile(existing, 'utf8')).toBe('my precious local file');
    expect((await cli(['get', 'keep/fresh.txt', existing, '--force'])).code).toBe(0);
    expect(await readFile(existing, 'utf8')).toBe('the new content');
  });

  it('get never writes through or removes what sits beside the target: a <file>.part of the user, a planted symbolic link, a dangling link at the target', async () => {
    expect((await cli(['login', '--user', 'dora'])).code).toBe(0);
    await writeFile(join(workDirectory, 'beside.txt'), 'downloaded content');
    expect((await cli(['upload', join(workDirectory, 'beside.txt'), 'keep/beside.txt'])).code).toBe(0);

    const ownPart = join(workDirectory, 'a.txt.part');
    await writeFile(ownPart, 'my partial work');
    expect((await cli(['get', 'keep/beside.txt', join(workDirectory, 'a.txt')])).code).toBe(0);
    expect(await readFile(ownPart, 'utf8')).toBe('my partial work');
    expect(await readFile(join(workDirectory, 'a.txt'), 'utf8')).toBe('downloaded content');

    const precious = join(workDirectory, 'precious-elsewhere.txt');
    await writeFile(precious, 'PRECIOUS DATA');
    await symlink(precious, join(workDirectory, 'c.txt.part'));
    expect((await cli(['get', 'keep/beside.txt', join(workDirectory, 'c.txt')])).code).toBe(0);
    expect(await readFile(precious, 'utf8')).toBe('PRECIOUS DATA');

    const dangling = join(workDirectory, 'dangling.txt');
    await symlink(join(workDirectory, 'nowhere', 'target.txt'), dangling);
    const refused = await cli(['get', 'keep/beside.txt', dangling]);
    expect(refused.code, refused.stderr).toBe(EXIT_CODES.conflict);
    expect((await lstat(dangling)).isSymbolicLink()).toBe(true);
    expect((await readdir(workDirectory)).filter((name) => name.endsWith('.part'))).toEqual(['a.txt.part', 'c.txt.part']);
  });

  it('rm of a key that does not exist says "not found" and exits 5; the keys that exist are deleted', async () => {
    expect((await cli(['login', '--user', 'erin'])).code).toBe(0);
    await writeFile(join(workDirectory, 'gone-soon.txt'), 'x');
    expect((await cli(['upload', join(workDirectory, 'gone-soon.txt'), 'gone-soon.txt'])).code).toBe(0);
    const missing = await cli(['rm', 'never-was.txt']);
    expect(missing.code, missing.stderr).toBe(EXIT_CODES.notFound);
    expect(missing.stdout).toContain('not found never-was.txt');
    expect(missing.stdout).not.toContain('deleted');
    const mixed = await cli(['rm', 'gone-soon.txt', 'never-was.txt', '--json']);
    expect(mixed.code).toBe(EXIT_CODES.notFound);
    expect(JSON.parse(mixed.stdout)).toEqual({ deleted: ['gone-soon.txt'], failed: [{ key: 'never-was.txt', code: 'NotFound', message: 'not found' }] });
    expect(json(await cli(['ls', '--recursive', '--json']))).toMatchObject({ files: [] });
  });

  it('a stored session the token service no longer accepts (local reset: new secret) asks to sign in again, exit 3', async () => {
    const staleHome = join(workDirectory, 'stale');
    expect((await cli(['login', '--user', 'frank'], { home: staleHome })).code).toBe(0);
    // What a session from before a reset of the state directory looks like: right issuer, another secret.
    const stale = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('urn:scoped-storage:token-service:development')
      .setAudience('urn:scoped-storage:token-service:development')
      .setSubject('frank')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(randomBytes(32));
    const session = JSON.parse(await readFile(join(staleHome, 'session.json'), 'utf8')) as { sessionToken: string };
    await writeFile(join(staleHome, 'session.json'), JSON.stringify({ ...session, sessionToken: stale }));
    for (const command of [['whoami'], ['ls']]) {
      const run = await cli(command, { home: staleHome });
      expect(run.code, run.stderr).toBe(EXIT_CODES.signInRequired);
      expect(run.stderr).toContain('Your session is no longer valid: sign in again with `storage login`');
      expect(run.stderr).not.toContain('signature');
    }
  });

  it('resumes an upload whose process was killed mid-way (SIGKILL)', async () => {
    const kimHome = join(workDirectory, 'kim');
    expect((await cli(['login', '--user', 'kim'], { home: kimHome })).code).toBe(0);
    const bigFile = join(workDirectory, 'big.bin');
    await writeFile(bigFile, randomBytes(96 * MIB));
    const observer = await main.clientFor('kim');
    const { bucket } = JSON.parse(await readFile(main.outputsPath, 'utf8')) as { bucket: string };

    const child = spawn(process.execPath, [BIN, '--outputs', main.outputsPath, '--home', kimHome, 'upload', bigFile, 'big.bin', '--json'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Kill it as soon as S3 holds a part of the upload the CLI remembered.
    let partsAtKill = 0;
    for (let attempt = 0; attempt < 1200 && partsAtKill === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const records = await readFile(join(kimHome, 'uploads.json'), 'utf8').then((text) => JSON.parse(text) as Record<string, { uploadId: string; key: string }>, () => ({}));
      const record = Object.values(records)[0];
      if (!record) continue;
      const parts = await observer.s3.send(new ListPartsCommand({ Bucket: bucket, Key: record.key, UploadId: record.uploadId })).catch(() => undefined);
      partsAtKill = parts?.Parts?.length ?? 0;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(partsAtKill).toBeGreaterThan(0);
    expect(partsAtKill).toBeLessThan(12);

    const resumed = json<{ resumed: boolean; size: number }>(await cli(['upload', bigFile, 'big.bin', '--json'], { home: kimHome }));
    expect(resumed).toMatchObject({ resumed: true, size: 96 * MIB });
    const copy = join(workDirectory, 'big-copy.bin');
    expect((await cli(['get', 'big.bin', copy], { home: kimHome })).code).toBe(0);
    expect(await sha256OfFile(copy)).toBe(await sha256OfFile(bigFile));
    expect(JSON.parse(await readFile(join(kimHome, 'uploads.json'), 'utf8'))).toEqual({});
  });
});
