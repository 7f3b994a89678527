import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../app/cli/exit-codes.ts';
import { openLocalDatabase } from '../../../infra/local/persistence/local-database.ts';
import { startMainJobFixture, type MainJobFixture } from '../client/main-job-fixture.ts';
import { CLI_BIN, jsonOf, runCli, type CliRun } from './cli-runner.ts';

interface LocationRow {
  name: string;
  prefix: string;
  permissions: string[];
  kind: string;
  isDefault: boolean;
  ownFolder?: { identityId: string; permissions: string[] };
}
interface Listing {
  path: string;
  folders: string[];
  files: Array<{ key: string; size: number }>;
  nextToken?: string;
}

/** The CLI over locations, against `npm start` in-process (guests allowed, as the local main job runs). */
describe('CLI: location paths against the main job', () => {
  let main: MainJobFixture;
  let work: string;

  beforeAll(async () => {
    main = await startMainJobFixture();
    work = await mkdtemp(join(tmpdir(), 'cli-locations-'));
  });
  afterAll(async () => {
    await main?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A CLI with its own home directory: one person at one terminal. */
  const person = (name: string) => (args: string[]) => runCli(args, { outputsPath: main.outputsPath, home: join(work, `home-${name}`), cwd: work });
  const signedIn = async (user: string, tenant?: string) => {
    const cli = person(user);
    const login = jsonOf<{ identityId: string }>(await cli(['login', '--user', user, ...(tenant ? ['--tenant', tenant] : []), '--json']));
    return { cli, identityId: login.identityId };
  };
  const localFile = async (name: string, content: string) => {
    const path = join(work, name);
    await writeFile(path, content);
    return path;
  };
  const exists = (path: string) => stat(path).then(() => true, () => false);
  const expectFailure = (run: CliRun, code: number, message: RegExp | string) => {
    expect(run.code, run.stderr).toBe(code);
    if (typeof message === 'string') expect(run.stderr).toContain(message);
    else expect(run.stderr).toMatch(message);
  };

  it('locations --json lists what the signed-in identity may use, with its own prefixes', async () => {
    const { cli, identityId } = await signedIn('alice', 'acme');
    const locations = jsonOf<LocationRow[]>(await cli(['locations', '--json']));
    const byName = new Map(locations.map((location) => [location.name, location]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['private', 'protected', 'shared', 'team', 'public']));
    expect(byName.get('private')).toMatchObject({ prefix: `users/${identityId}/`, permissions: ['read', 'write', 'delete', 'list'], isDefault: true });
    expect(byName.get('team')).toMatchObject({ prefix: 'tenants/acme/', permissions: ['read', 'write', 'delete', 'list'], isDefault: false });
    expect(byName.get('shared')).toMatchObject({ prefix: 'shared/', permissions: ['read', 'list'] });
    expect(byName.get('protected')).toMatchObject({ prefix: 'protected/', permissions: ['read', 'list'], ownFolder: { identityId, permissions: ['read', 'write', 'delete', 'list'] } });
    expect(locations.filter((location) => location.isDefault)).toHaveLength(1);

    const human = await cli(['locations']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^LOCATION\s+PREFIX\s+PERMISSIONS/);
    expect(human.stdout).toContain('tenants/acme/');
  });

  it('a user without a tenant has no team location: a team: path names the locations there are (exit 2)', async () => {
    const { cli } = await signedIn('tenantless');
    const names = jsonOf<LocationRow[]>(await cli(['locations', '--json'])).map((location) => location.name);
    expect(names).not.toContain('team');
    const run = await cli(['ls', 'team:']);
    expectFailure(run, EXIT_CODES.usage, 'No location "team" for you. Your locations: ');
    expect(run.stderr).toContain('private');
    expectFailure(await cli(['ls', 'nowhere:']), EXIT_CODES.usage, 'No location "nowhere"');
    expectFailure(await cli(['stat', 'private:']), EXIT_CODES.usage, 'names no file');
    expectFailure(await cli(['cp', join(work, 'x'), 'Team:x']), EXIT_CODES.usage, 'is not a location name');
    expectFailure(await cli(['cp', 'a.txt', 'b.txt']), EXIT_CODES.usage, 'Both sides are local files');
  });

  it('cp in every direction: upload, download, within a location and across locations', async () => {
    const { cli } = await signedIn('carol', 'acme');
    const source = await localFile('carol.txt', 'carol wrote this');

    const uploaded = jsonOf<{ to: string; key: string; size: number }>(await cli(['cp', source, 'private:docs/', '--json']));
    expect(uploaded).toMatchObject({ to: 'private:docs/carol.txt', key: 'docs/carol.txt', size: 16 });
    expect(jsonOf<{ to: string }>(await cli(['cp', 'private:docs/carol.txt', 'private:docs/copy.txt', '--json'])).to).toBe('private:docs/copy.txt');
    expect(jsonOf<{ to: string }>(await cli(['cp', 'private:docs/carol.txt', 'team:shared-by-carol/', '--json'])).to).toBe('team:shared-by-carol/carol.txt');

    const downloaded = join(work, 'carol-back.txt');
    expect(jsonOf<{ bytes: number }>(await cli(['cp', 'team:shared-by-carol/carol.txt', downloaded, '--json'])).bytes).toBe(16);
    expect(await readFile(downloaded, 'utf8')).toBe('carol wrote this');

    // Her tenant colleague reads it through the same location name, resolved to the same prefix.
    const { cli: dave } = await signedIn('dave', 'acme');
    const listing = jsonOf<Listing>(await dave(['ls', 'team:shared-by-carol/', '--json']));
    expect(listing.files.map((file) => file.key)).toEqual(['shared-by-carol/carol.txt']);
    // Someone of another tenant has a team location of their own, without it.
    const { cli: erin } = await signedIn('erin', 'globex');
    expect(jsonOf<Listing>(await erin(['ls', 'team:shared-by-carol/', '--json'])).files).toEqual([]);

    const own = jsonOf<Listing>(await cli(['ls', 'docs/', '--json']));
    expect(own.path).toBe('private:docs/');
    expect(own.files.map((file) => file.key).sort()).toEqual(['docs/carol.txt', 'docs/copy.txt']);
  });

  it('mv in every direction deletes the source: a local file after its upload, an object after its download or copy', async () => {
    const { cli } = await signedIn('mover', 'acme');
    const source = await localFile('moving.txt', 'on the move');
    expect((await cli(['mv', source, 'private:moving.txt'])).code).toBe(0);
    expect(await exists(source)).toBe(false);

    expect((await cli(['mv', 'private:moving.txt', 'team:moved/'])).code).toBe(0);
    expectFailure(await cli(['stat', 'private:moving.txt']), EXIT_CODES.notFound, '');

    const back = join(work, 'moved-back.txt');
    expect((await cli(['mv', 'team:moved/moving.txt', back])).code).toBe(0);
    expect(await readFile(back, 'utf8')).toBe('on the move');
    expect(jsonOf<Listing>(await cli(['ls', 'team:moved/', '--json'])).files).toEqual([]);
  });

  it('stat shows size, type, modified time and etag', async () => {
    const { cli } = await signedIn('stella');
    await cli(['cp', await localFile('page.html', '<p>hello</p>'), 'private:site/page.html', '--content-type', 'text/html']);
    const properties = jsonOf<{ path: string; key: string; size: number; contentType: string; etag: string; lastModified: string; metadata: object }>(await cli(['stat', 'site/page.html', '--json']));
    expect(properties).toMatchObject({ path: 'private:site/page.html', key: 'site/page.html', size: 12, contentType: 'text/html', etag: expect.stringMatching(/^"[0-9a-f]{32}"$/), metadata: {} });
    expect(Date.parse(properties.lastModified)).toBeGreaterThan(Date.now() - 3_600_000);
    const human = await cli(['stat', 'site/page.html']);
    expect(human.stdout).toMatch(/^size:\s+12 bytes$/m);
    expect(human.stdout).toMatch(/^type:\s+text\/html$/m);
    expect(human.stdout).toMatch(/^etag:\s+"[0-9a-f]{32}"$/m);
  });

  it('mkdir makes a folder that ls shows first, with a trailing slash', async () => {
    const { cli } = await signedIn('maker', 'acme');
    expect(jsonOf<{ path: string }>(await cli(['mkdir', 'team:plans/2026', '--json'])).path).toBe('team:plans/2026/');
    await cli(['cp', await localFile('q3.txt', 'q3'), 'team:plans/q3.txt']);
    const listing = jsonOf<Listing>(await cli(['ls', 'team:plans/', '--json']));
    expect(listing.folders).toEqual(['plans/2026/']);
    expect(listing.files.map((file) => file.key)).toEqual(['plans/q3.txt']);
    const lines = (await cli(['ls', 'team:plans/'])).stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/\s2026\/$/);
    expect(lines[1]).toMatch(/\sq3\.txt$/);
    expectFailure(await cli(['mkdir', 'team:']), EXIT_CODES.usage, 'names no folder');
  });

  it('ls pages: every page by default, one page with --page-size and the rest with --next-token', async () => {
    const { cli } = await signedIn('pager');
    for (const name of ['a', 'b', 'c']) expect((await cli(['cp', await localFile(`page-${name}.txt`, name), `private:pages/${name}.txt`])).code).toBe(0);
    expect(jsonOf<Listing>(await cli(['ls', 'pages/', '--json'])).files).toHaveLength(3);
    const first = jsonOf<Listing>(await cli(['ls', 'pages/', '--page-size', '2', '--json']));
    expect(first.files.map((file) => file.key)).toEqual(['pages/a.txt', 'pages/b.txt']);
    expect(first.nextToken).toEqual(expect.any(String));
    const second = jsonOf<Listing>(await cli(['ls', 'pages/', '--page-size', '2', '--next-token', first.nextToken!, '--json']));
    expect(second.files.map((file) => file.key)).toEqual(['pages/c.txt']);
    expect(second.nextToken).toBeUndefined();
    expect(jsonOf<Listing>(await cli(['ls', '--recursive', '--json'])).files).toHaveLength(3);
  });

  it('rm --recursive counts what it deletes; without a terminal it needs --yes', async () => {
    const { cli } = await signedIn('remover');
    for (const name of ['x', 'y/z', 'y/w']) expect((await cli(['cp', await localFile('tree.txt', name), `private:tree/${name}.txt`, '--force'])).code).toBe(0);
    const refused = await cli(['rm', '--recursive', 'tree/']);
    expectFailure(refused, EXIT_CODES.usage, 'Refusing to delete 3 files');
    expect(refused.stderr).toContain('--yes');
    expect(jsonOf<Listing>(await cli(['ls', '--recursive', '--json'])).files).toHaveLength(3);

    expect(jsonOf(await cli(['rm', '--recursive', 'tree', '--yes', '--json']))).toEqual({ path: 'private:tree/', deleted: 3, failed: [] });
    expect(jsonOf<Listing>(await cli(['ls', '--recursive', '--json'])).files).toEqual([]);
    expectFailure(await cli(['rm', '--recursive', 'tree/', '--yes']), EXIT_CODES.notFound, 'holds no files');
  });

  it('rm --recursive on the top of a location (team:) counts, asks for --yes, then deletes only that location', async () => {
    const { cli } = await signedIn('rooter', 'umbrella');
    for (const name of ['top.txt', 'plans/a.txt', 'plans/b.txt']) expect((await cli(['cp', await localFile('root.txt', name), `team:${name}`, '--force'])).code).toBe(0);
    expect((await cli(['cp', await localFile('own.txt', 'own'), 'private:own.txt'])).code).toBe(0);
    const refused = await cli(['rm', '--recursive', 'team:']);
    expectFailure(refused, EXIT_CODES.usage, 'Refusing to delete 3 files');
    expect(refused.stderr).toContain('in team:');
    expect(jsonOf(await cli(['rm', '--recursive', 'team:', '--yes', '--json']))).toEqual({ path: 'team:', deleted: 3, failed: [] });
    expect(jsonOf<Listing>(await cli(['ls', 'team:', '--recursive', '--json'])).files).toEqual([]);
    expect(jsonOf<Listing>(await cli(['ls', '--json'])).files.map((file) => file.key)).toEqual(['own.txt']);
    expectFailure(await cli(['rm', '--recursive', 'shared:', '--yes']), EXIT_CODES.accessDenied, 'you may not');
  });

  it('rm --recursive on a terminal asks first: no keeps every file, yes deletes them with a count', async () => {
    const { cli } = await signedIn('asker');
    for (const name of ['one', 'two']) expect((await cli(['cp', await localFile('asked.txt', name), `private:asked/${name}.txt`, '--force'])).code).toBe(0);
    /** The CLI on a pseudo-terminal (util-linux script), answering the question once it is asked. */
    const onTerminal = (answer: string) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        const command = [process.execPath, CLI_BIN, '--outputs', main.outputsPath, '--home', join(work, 'home-asker'), 'rm', '--recursive', 'private:asked/'].map((part) => `'${part}'`).join(' ');
        const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work, stdio: ['pipe', 'pipe', 'inherit'] });
        let output = '';
        let answered = false;
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (!answered && output.includes('[y/N]')) {
            answered = true;
            child.stdin.write(`${answer}\n`);
          }
        });
        child.on('close', (code) => resolve({ code: code ?? -1, output }));
      });

    const declined = await onTerminal('n');
    expect(declined.output).toContain('Delete 2 files (6 B) in private:asked/? [y/N]');
    expect(declined.output).toContain('Nothing deleted.');
    expect(declined.code).toBe(EXIT_CODES.failure);
    expect(jsonOf<Listing>(await cli(['ls', 'asked/', '--json'])).files).toHaveLength(2);

    const accepted = await onTerminal('y');
    expect(accepted.output).toContain('Deleted 2 files in private:asked/');
    expect(accepted.code).toBe(0);
    expect(jsonOf<Listing>(await cli(['ls', 'asked/', '--json'])).files).toEqual([]);
  });

  it('login --guest where the deployment does not allow guests is refused (exit 3) and remembers nothing', async () => {
    const outputs = JSON.parse(await readFile(main.outputsPath, 'utf8')) as Record<string, unknown>;
    const noGuests = join(work, 'outputs-no-guests.json');
    await writeFile(noGuests, JSON.stringify({ ...outputs, guestsAllowed: false }));
    const home = join(work, 'home-refused-guest');
    const run = await runCli(['login', '--guest'], { outputsPath: noGuests, home, cwd: work });
    expectFailure(run, EXIT_CODES.signInRequired, 'does not allow guests');
    expect(await exists(join(home, 'session.json'))).toBe(false);
  });

  it('uploads and copies refuse to replace an existing file unless --force (exit 6)', async () => {
    const { cli } = await signedIn('careful');
    const first = await localFile('first.txt', 'first');
    const second = await localFile('second.txt', 'second');
    expect((await cli(['cp', first, 'private:kept.txt'])).code).toBe(0);
    const refused = await cli(['cp', second, 'private:kept.txt']);
    expectFailure(refused, EXIT_CODES.conflict, 'private:kept.txt exists already; use --force to replace it.');
    expectFailure(await cli(['cp', 'private:kept.txt', 'private:kept.txt']), EXIT_CODES.usage, 'onto itself');
    const download = join(work, 'careful-download.txt');
    expect((await cli(['cp', 'private:kept.txt', download])).code).toBe(0);
    expect(await readFile(download, 'utf8')).toBe('first');

    expect((await cli(['cp', second, 'private:kept.txt', '--force'])).code).toBe(0);
    expectFailure(await cli(['cp', 'private:kept.txt', download]), EXIT_CODES.conflict, 'exists already');
    expect((await cli(['cp', 'private:kept.txt', download, '--force'])).code).toBe(0);
    expect(await readFile(download, 'utf8')).toBe('second');
  });

  it('a write to shared: is refused (the library refuses what the published rules do not grant; S3 would too): exit 4, saying what shared: allows', async () => {
    const { cli } = await signedIn('writer', 'acme');
    const run = await cli(['cp', await localFile('handbook.pdf', 'not really a pdf'), 'shared:handbook.pdf']);
    expectFailure(run, EXIT_CODES.accessDenied, 'Access denied: you may not write in shared:handbook.pdf (shared: allows you read, list).');
    expectFailure(await cli(['mkdir', 'shared:mine/']), EXIT_CODES.accessDenied, 'you may not write in shared:mine/');
  });

  it("protected: the owner writes in their folder; another user finds it by lookup and may read, not write; the top cannot be listed", async () => {
    const { cli: owner, identityId } = await signedIn('paula');
    expect((await owner(['cp', await localFile('photo.jpg', 'a photo'), `protected:${identityId}/photo.jpg`])).code).toBe(0);

    const { cli: friend } = await signedIn('fred');
    const found = jsonOf<{ userId: string; identityId: string }>(await friend(['lookup', 'paula', '--json']));
    expect(found).toEqual({ userId: 'paula', identityId });
    expect((await friend(['lookup', 'paula'])).stdout).toContain(`protected:${identityId}/`);
    expectFailure(await friend(['lookup', 'never-signed-in']), EXIT_CODES.notFound, '');

    const copy = join(work, 'friend-photo.jpg');
    expect((await friend(['cp', `protected:${identityId}/photo.jpg`, copy])).code).toBe(0);
    expect(await readFile(copy, 'utf8')).toBe('a photo');
    expect(jsonOf<Listing>(await friend(['ls', `protected:${identityId}/`, '--json'])).files.map((file) => file.key)).toEqual([`${identityId}/photo.jpg`]);
    expectFailure(await friend(['cp', copy, `protected:${identityId}/planted.jpg`]), EXIT_CODES.accessDenied, 'you may not write');
    expectFailure(await friend(['rm', `protected:${identityId}/photo.jpg`]), EXIT_CODES.accessDenied, 'you may not delete');
    expect(await owner(['stat', `protected:${identityId}/photo.jpg`]).then((run) => run.code)).toBe(0);

    const top = await friend(['ls', 'protected:']);
    expectFailure(top, EXIT_CODES.usage, "begin with an identity's folder");
    expect(top.stderr).toContain('Yours is protected:');
  });

  it('share --download makes a link that saves the file, --inline one that shows it', async () => {
    const { cli } = await signedIn('sharer');
    await cli(['cp', await localFile('report.txt', 'the report'), 'private:report.txt']);
    const download = jsonOf<{ url: string; disposition: string }>(await cli(['share', 'report.txt', '--download', '--json']));
    expect(download.disposition).toBe('attachment');
    expect(new URL(download.url).searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="report\.txt"/);
    const fetched = await main.fetchAnonymously(download.url);
    expect(fetched.body.toString()).toBe('the report');
    const inline = jsonOf<{ url: string }>(await cli(['share', 'report.txt', '--inline', '--json']));
    expect(new URL(inline.url).searchParams.get('response-content-disposition')).toMatch(/^inline/);
    expectFailure(await cli(['share', 'report.txt', '--inline', '--download']), EXIT_CODES.usage, 'at most one of --download and --inline');
  });

  it('login --guest, then login --user keeps the guest\'s files', async () => {
    const cli = person('guest-then-gwen');
    const guest = jsonOf<{ guest: boolean; identityId: string }>(await cli(['login', '--guest', '--json']));
    expect(guest.guest).toBe(true);
    expect(jsonOf<{ isGuest: boolean; identityId: string }>(await cli(['whoami', '--json']))).toMatchObject({ isGuest: true, identityId: guest.identityId });
    expect((await cli(['cp', await localFile('guest-note.txt', 'written as a guest'), 'private:note.txt'])).code).toBe(0);
    expectFailure(await cli(['cp', 'private:note.txt', 'team:note.txt']), EXIT_CODES.usage, 'No location "team"');

    const user = jsonOf<{ identityId: string; linkedGuestIdentityId: string }>(await cli(['login', '--user', 'gwen', '--json']));
    expect(user.linkedGuestIdentityId).toBe(guest.identityId);
    expect(jsonOf<{ isGuest: boolean }>(await cli(['whoami', '--json'])).isGuest).toBe(false);
    const kept = join(work, 'gwen-note.txt');
    expect((await cli(['cp', 'private:note.txt', kept])).code).toBe(0);
    expect(await readFile(kept, 'utf8')).toBe('written as a guest');
  });

  it("login --user for a user who has an identity already says the guest's files were not moved, and login --guest gets back to them", async () => {
    await signedIn('hank');
    const cli = person('guest-then-hank');
    const guest = jsonOf<{ identityId: string }>(await cli(['login', '--guest', '--json']));
    expect((await cli(['cp', await localFile('guest-draft.txt', 'drafted as a guest'), 'private:draft.txt'])).code).toBe(0);

    const login = await cli(['login', '--user', 'hank', '--json']);
    const user = jsonOf<{ identityId: string; guestLinked: boolean; guestIdentityId: string; linkedGuestIdentityId?: string }>(login);
    expect(user).toMatchObject({ guestLinked: false, guestIdentityId: guest.identityId });
    expect(user.identityId).not.toBe(guest.identityId);
    expect(user).not.toHaveProperty('linkedGuestIdentityId');
    expect(login.stderr).toContain(`were NOT moved to the user hank`);
    expect(login.stderr).toContain(`they stay with the guest identity ${guest.identityId}`);
    expect(login.stderr).toContain('scoped-storage login --guest');
    expect(jsonOf<Listing>(await cli(['ls', '--json'])).files).toEqual([]);

    const back = jsonOf<{ identityId: string; resumed: boolean }>(await cli(['login', '--guest', '--json']));
    expect(back).toMatchObject({ identityId: guest.identityId, resumed: true });
    expect(jsonOf<Listing>(await cli(['ls', '--json'])).files.map((file) => file.key)).toEqual(['draft.txt']);
    const rescued = join(work, 'rescued-draft.txt');
    expect((await cli(['cp', 'private:draft.txt', rescued])).code).toBe(0);
    expect(await readFile(rescued, 'utf8')).toBe('drafted as a guest');
  });

  it("login --user after a guest session, when the user is new, links the guest and says so in --json", async () => {
    const cli = person('guest-then-ivy');
    const guest = jsonOf<{ identityId: string }>(await cli(['login', '--guest', '--json']));
    const login = await cli(['login', '--user', 'ivy', '--json']);
    expect(jsonOf(login)).toMatchObject({ identityId: guest.identityId, guestLinked: true, linkedGuestIdentityId: guest.identityId });
    expect(login.stderr).not.toContain('warning');
  });

  it('commands reuse the saved credentials: a share link outlives 25 later commands, which exchange credentials at most once', async () => {
    const { cli, identityId } = await signedIn('linker');
    expect((await cli(['cp', await localFile('linked.txt', 'still here'), 'private:linked.txt'])).code).toBe(0);
    const link = jsonOf<{ url: string }>(await cli(['share', 'linked.txt', '--json']));
    /** Access keys the local cloud holds for this identity (evicted ones leave, so count the new ones). */
    const issuedToIdentity = () => {
      const database = openLocalDatabase(join(main.stateDirectory, 'data'));
      try {
        return new Set((database.prepare('SELECT access_key_id FROM credentials_issued WHERE identity_id = ?').all(identityId) as { access_key_id: string }[]).map((row) => row.access_key_id));
      } finally {
        database.close();
      }
    };
    const before = issuedToIdentity();
    for (let command = 0; command < 25; command += 1) {
      const run = await cli(command % 2 === 0 ? ['ls', '--json'] : ['stat', 'linked.txt', '--json']);
      expect(run.code, run.stderr).toBe(0);
    }
    expect([...issuedToIdentity()].filter((key) => !before.has(key)).length).toBeLessThanOrEqual(1);
    const fetched = await main.fetchAnonymously(link.url);
    expect(fetched.status).toBe(200);
    expect(fetched.body.toString()).toBe('still here');
    const session = await stat(join(work, 'home-linker', 'session.json'));
    expect(session.mode & 0o777).toBe(0o600);
  });

  it('a new login drops the saved credentials: the next command has the new identity\'s', async () => {
    const cli = person('switcher');
    const first = jsonOf<{ identityId: string }>(await cli(['login', '--user', 'switch-a', '--json']));
    expect(jsonOf<{ identityId: string }>(await cli(['whoami', '--json'])).identityId).toBe(first.identityId);
    const second = jsonOf<{ identityId: string }>(await cli(['login', '--user', 'switch-b', '--json']));
    expect(second.identityId).not.toBe(first.identityId);
    expect(jsonOf<{ identityId: string }>(await cli(['whoami', '--json'])).identityId).toBe(second.identityId);
    const guest = jsonOf<{ identityId: string }>(await cli(['login', '--guest', '--json']));
    expect(jsonOf<{ identityId: string; isGuest: boolean }>(await cli(['whoami', '--json']))).toEqual(expect.objectContaining({ identityId: guest.identityId, isGuest: true }));
  });

  it('help shows each default once; a hand-made --next-token and --expires other than decimal seconds are usage errors (exit 2)', async () => {
    const { cli } = await signedIn('strict');
    for (const command of ['ls', 'upload']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout.match(/\(default: /g), command).toHaveLength(1);
      expect(help.stdout).not.toContain('(default: "")');
    }
    for (const name of ['a', 'b']) expect((await cli(['cp', await localFile(`strict-${name}.txt`, name), `private:strict/${name}.txt`])).code).toBe(0);
    const page = jsonOf<Listing>(await cli(['ls', 'strict/', '--page-size', '1', '--json']));
    const contents = JSON.parse(Buffer.from(page.nextToken!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const crafted = Buffer.from(JSON.stringify({ ...contents, c: 'garbage' })).toString('base64url');
    expectFailure(await cli(['ls', 'strict/', '--page-size', '1', '--next-token', crafted]), EXIT_CODES.usage, 'not a token this library made');
    expect(jsonOf<Listing>(await cli(['ls', 'strict/', '--page-size', '1', '--next-token', page.nextToken!, '--json'])).files.map((file) => file.key)).toEqual(['strict/b.txt']);

    for (const expires of ['1e3', '0x10', '1.5', '0']) expectFailure(await cli(['share', 'strict/a.txt', '--expires', expires]), EXIT_CODES.usage, 'positive whole number');
    expect(jsonOf<{ url: string }>(await cli(['share', 'strict/a.txt', '--expires', '1000', '--json'])).url).toContain('X-Amz-Expires=1000');
  });

  it('ls of a file says it is a file and shows it, instead of an empty folder', async () => {
    const { cli } = await signedIn('lister');
    expect((await cli(['cp', await localFile('some-file.txt', 'some content'), 'private:docs/some-file.txt'])).code).toBe(0);
    const human = await cli(['ls', 'private:docs/some-file.txt']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('private:docs/some-file.txt is a file');
    expect(human.stdout).toContain('stat private:docs/some-file.txt');
    expect(human.stdout).toMatch(/\s12\s+docs\/some-file\.txt$/m);
    expect(human.stdout).not.toContain('(empty)');
    expect(jsonOf<Listing & { isFile: boolean }>(await cli(['ls', 'docs/some-file.txt', '--json']))).toMatchObject({ path: 'private:docs/some-file.txt', isFile: true, files: [{ key: 'docs/some-file.txt', size: 12 }] });
    expect((await cli(['ls', 'docs/nothing-here'])).stdout.trim()).toBe('(empty)');
    expect((await cli(['ls', 'docs/some-file.txt/'])).stdout.trim()).toBe('(empty)');
  });

  it("a guest's public location has no folder of its own: guests may only read and list there", async () => {
    const cli = person('public-guest');
    const guest = jsonOf<{ identityId: string }>(await cli(['login', '--guest', '--json']));
    const locations = jsonOf<LocationRow[]>(await cli(['locations', '--json']));
    const publicLocation = locations.find((location) => location.name === 'public');
    expect(publicLocation).toMatchObject({ permissions: ['read', 'list'] });
    expect(publicLocation).not.toHaveProperty('ownFolder');
    expect((await cli(['locations'])).stdout).not.toContain(`${guest.identityId}/ (yours)`);
  });
});
