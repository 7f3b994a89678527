import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAccessMatrix, sampleKeys } from '../../../infra/policy-tools/access-matrix.ts';
import { checkExpectations, ExpectationSyntaxError, parseExpectations } from '../../../infra/policy-tools/expectations.ts';
import { decideForPersona } from '../../../infra/policy-tools/persona-request.ts';
import { findPersona } from '../../../infra/policy-tools/personas.ts';
import { loadStackPolicies, type StackPolicies } from '../../../infra/policy-tools/stack-policies.ts';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'infra/policy-tools/cli.ts'];
let stack: StackPolicies;

beforeAll(async () => {
  stack = await loadStackPolicies();
});

describe('the isolation matrix of the default stack', () => {
  it('labels its rows by location, e.g. "protected (protected/{identityId}/)"', () => {
    expect(sampleKeys(stack.locations).map((sample) => sample.name)).toEqual([
      'private (users/{identityId}/): own folder',
      "private (users/{identityId}/): other identity's folder",
      'private (users/{identityId}/): prefix neighbour',
      'protected (protected/{identityId}/): own folder',
      "protected (protected/{identityId}/): other identity's folder (protected)",
      'protected (protected/{identityId}/): prefix neighbour',
      'shared (shared/)',
      'team (tenants/{tag:tenant}/): own tenant',
      'team (tenants/{tag:tenant}/): other tenant',
      'bucket root',
    ]);
  });

  it('allows each persona exactly what the default rules give it', () => {
    const allowed = buildAccessMatrix(stack)
      .filter((cell) => cell.allowed)
      .map((cell) => `${cell.persona} ${cell.operation} ${cell.keyClass}`)
      .sort();
    const expected: string[] = [];
    for (const persona of ['alice', 'bob', 'carol']) {
      for (const operation of ['get', 'put', 'delete', 'list', 'copy-from']) {
        const reads = operation === 'get' || operation === 'list' || operation === 'copy-from';
        expected.push(`${persona} ${operation} private (users/{identityId}/): own folder`);
        expected.push(`${persona} ${operation} protected (protected/{identityId}/): own folder`);
        if (reads) {
          expected.push(`${persona} ${operation} protected (protected/{identityId}/): other identity's folder (protected)`);
          expected.push(`${persona} ${operation} protected (protected/{identityId}/): prefix neighbour`);
          expected.push(`${persona} ${operation} shared (shared/)`);
        }
        if (persona !== 'carol') expected.push(`${persona} ${operation} team (tenants/{tag:tenant}/): own tenant`);
      }
    }
    expect(allowed).toEqual(expected.sort());
  });

  it('never allows another identity\'s private folder, the private neighbour, another tenant or the bucket root', () => {
    const closed = ["private (users/{identityId}/): other identity's folder", 'private (users/{identityId}/): prefix neighbour', 'team (tenants/{tag:tenant}/): other tenant', 'bucket root'];
    const cells = buildAccessMatrix(stack).filter((cell) => closed.includes(cell.keyClass));
    expect(cells.length).toBe(4 * 5 * 4);
    expect(cells.filter((cell) => cell.allowed)).toEqual([]);
  });

  it('prints one table per persona with the location labels, from the command line', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'matrix']);
    expect(stdout).toMatch(/^bob: signed-in identity B/m);
    expect(stdout).toMatch(/protected \(protected\/\{identityId\}\/\): other identity's folder \(protected\) \| allow \| deny {2}\| deny {3}\| allow \| allow/);
    expect(stdout).toContain('Guests: not allowed');
  });
});

describe('the matrix with guests (--allow-guests, as npm start runs)', () => {
  let guests: StackPolicies;
  beforeAll(async () => {
    guests = await loadStackPolicies(undefined, { allowGuests: true });
  });

  it('adds the public location and lets the guest persona into exactly its own private folder and others\' public folders', () => {
    expect(guests.guestsAllowed).toBe(true);
    expect(guests.locations.map((location) => location.name)).toEqual(['private', 'protected', 'shared', 'team', 'public']);
    const allowed = buildAccessMatrix(guests, [findPersona('guest')])
      .filter((cell) => cell.allowed)
      .map((cell) => `${cell.operation} ${cell.keyClass}`)
      .sort();
    const expected: string[] = [];
    for (const operation of ['get', 'put', 'delete', 'list', 'copy-from']) {
      expected.push(`${operation} private (users/{identityId}/): own folder`);
      if (operation === 'get' || operation === 'list' || operation === 'copy-from') {
        for (const folder of ['own folder', "other identity's folder (protected)", 'prefix neighbour']) expected.push(`${operation} public (public/{identityId}/): ${folder}`);
      }
    }
    expect(allowed).toEqual(expected.sort());
  });

  it('holds for every line of the shipped guest expectations', () => {
    const outcomes = checkExpectations(guests, parseExpectations(readFileSync('infra/access-rules/guest-expectations.txt', 'utf8'), 'guest-expectations.txt', guests.locations));
    expect(outcomes.length).toBe(26);
    expect(outcomes.filter((outcome) => outcome.actuallyAllowed !== outcome.expectation.allowed).map((outcome) => outcome.expectation.text)).toEqual([]);
  });

  it('checks the guest expectations from the command line with --allow-guests, and the same file fails without it', async () => {
    expect((await runCli(['--allow-guests', 'check', 'infra/access-rules/guest-expectations.txt'])).stdout).toContain('26 of 26 expectations hold.');
    const without = await runCli(['check', 'infra/access-rules/guest-expectations.txt']);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('Unknown location "public" in "public:{other}/poster.png": the stack\'s locations are private, protected, shared, team.');
  });
});

describe('expectations', () => {
  it('holds for every line of the shipped default expectations', () => {
    const outcomes = checkExpectations(stack, parseExpectations(readFileSync('infra/access-rules/default-expectations.txt', 'utf8'), 'default-expectations.txt', stack.locations));
    expect(outcomes.length).toBe(64);
    expect(outcomes.filter((outcome) => outcome.actuallyAllowed !== outcome.expectation.allowed).map((outcome) => outcome.expectation.text)).toEqual([]);
  });

  it('reports a violated expectation with the line, the key and why, and exits 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'expectations-')), 'wrong.txt');
    writeFileSync(file, '# an admin who expects too much\nowner can get users/{self}/a.txt\nowner can get users/{other}/a.txt\n');
    const failure = await run(process.execPath, [...CLI, 'check', file]).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain(`VIOLATED ${file}:3: "owner can get users/{other}/a.txt" but the policies DENY it`);
    expect(failure?.stdout).toContain('users/us-east-1:b0b00000');
    expect(failure?.stdout).toContain('1 of 2 expectations hold, 1 violated.');
  });

  it('resolves location:key as the CLI writes it, per the location\'s kind', () => {
    const [own, protectedOther, team, listing, fullKey] = parseExpectations(
      'owner can put private:a.txt\nowner can get protected:{other}/p.jpg\nalice can put team:plan.xlsx\nowner cannot list protected:\nowner can get users/{self}/a.txt\n',
      'f.txt',
      stack.locations,
    );
    expect([own, protectedOther, team, listing, fullKey].map((expectation) => expectation!.keyTemplate)).toEqual(['users/{self}/a.txt', 'protected/{other}/p.jpg', 'tenants/{tenant}/plan.xlsx', 'protected/', 'users/{self}/a.txt']);
    expect(checkExpectations(stack, [own!, protectedOther!, team!, listing!]).map((outcome) => outcome.actuallyAllowed)).toEqual([true, true, true, false]);
  });

  it('refuses an unknown location, naming the line and the stack\'s locations', () => {
    expect(() => parseExpectations('owner can get photos:a.jpg', 'f.txt', stack.locations)).toThrow('f.txt:1: Unknown location "photos" in "photos:a.jpg": the stack\'s locations are private, protected, shared, team.');
  });

  it('documents the location syntax in check --help', async () => {
    const { stdout } = await runCli(['check', '--help']);
    expect(stdout).toContain('<persona> can|cannot <operation> [<location>:]<key>');
    expect(stdout).toContain('"protected:{other}/photo.jpg" (a protected location\'s keys start with an');
  });

  it('rejects lines it cannot read, naming the line', () => {
    expect(() => parseExpectations('owner may get x', 'f.txt')).toThrow(ExpectationSyntaxError);
    expect(() => parseExpectations('owner may get x', 'f.txt')).toThrow('f.txt:1');
    expect(() => parseExpectations('mallory can get x', 'f.txt')).toThrow(/Unknown persona "mallory"/);
    expect(() => parseExpectations('owner can fly x', 'f.txt')).toThrow(/Unknown operation "fly"/);
    expect(() => parseExpectations('# only comments\n', 'f.txt')).toThrow(/no expectations/);
  });
});

describe('explain', () => {
  it('names the deciding statement and the resolved identity variable', () => {
    const decision = decideForPersona(stack, findPersona('alice'), 'get', `users/${findPersona('alice').identityId}/a.txt`);
    expect(decision.allowed).toBe(true);
    expect(decision.checks[0]!.result.deciding.map((reference) => reference.sid)).toEqual(['Rule0OwnerObjects']);
    expect(decision.checks[0]!.result.variables['cognito-identity.amazonaws.com:sub']).toBe(findPersona('alice').identityId);
  });

  it('prints the decision from the command line', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'explain', '--as', 'bob', '--action', 'put', '--key', 'tenants/globex/x']);
    expect(stdout).toContain('bob (us-east-1:b0b00000-0000-4000-8000-00000000000b, tenant globex): ALLOWED');
    expect(stdout).toContain('statement "Rule3TenantMembersObjects"');
    const protectedWrite = await runCli(['explain', '--as', 'bob', '--action', 'put', '--key', 'protected:{other}/photo.jpg']);
    expect(protectedWrite.code).toBe(1);
    expect(protectedWrite.stdout).toContain('DENIED');
    const denied = await run(process.execPath, [...CLI, 'explain', '--as', 'alice', '--action', 'put', '--key', 'x', '--tenant', 'acme']).catch((error: { code: number; stdout: string }) => error);
    expect((denied as { code: number }).code).toBe(1);
    expect((denied as { stdout: string }).stdout).toContain('ImplicitDeny');
  });
});

/** Runs the admin CLI; resolves with its exit code and output whether it succeeds or fails. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [...CLI, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('misspelt actions', () => {
  it('explain refuses s3:GetObjct with a suggestion and exit code 2, instead of answering DENIED', async () => {
    const result = await runCli(['explain', '--as', 'alice', '--action', 's3:GetObjct', '--key', 'users/{self}/a.txt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown action "s3:GetObjct" (did you mean s3:GetObject?)');
    expect(result.stdout).not.toContain('DENIED');
  });

  it('an expectation naming a misspelt action is a syntax error of its line, not an assurance that holds', () => {
    const parse = () => parseExpectations('owner can get users/{self}/a.txt\nowner cannot s3:GetObjct users/{other}/a.txt\n', 'f.txt');
    expect(parse).toThrow(ExpectationSyntaxError);
    expect(parse).toThrow('f.txt:2: unknown action "s3:GetObjct" (did you mean s3:GetObject?)');
  });

  it('check exits 2 on such a file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'expectations-')), 'typo.txt');
    writeFileSync(file, 'owner cannot s3:PutObjet users/{other}/a.txt\n');
    const result = await runCli(['check', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:1: unknown action "s3:PutObjet" (did you mean s3:PutObject?)`);
  });

  it('refuses an action pattern, since a request names one action', () => {
    expect(() => parseExpectations('owner can s3:Get* users/{self}/a.txt', 'f.txt')).toThrow(/f\.txt:1: .*"s3:Get\*".*one action/);
  });

  it('accepts a real action in any case, spelled back as AWS spells it', () => {
    const [expectation] = parseExpectations('owner can s3:getobject users/{self}/a.txt');
    expect(expectation!.operation).toBe('s3:GetObject');
    expect(checkExpectations(stack, [expectation!])[0]!.actuallyAllowed).toBe(true);
  });
});

describe('exit codes', () => {
  it.each([
    ['a missing required option', ['explain', '--as', 'alice', '--action', 'get']],
    ['an unknown command', ['explian']],
    ['an unknown option', ['matrix', '--jsn']],
    ['an unknown persona', ['explain', '--as', 'mallory', '--action', 'get', '--key', 'x']],
  ])('%s is a usage error: exit 2', async (_name, args) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error/);
  });

  it('--help exits 0', async () => {
    const result = await runCli(['explain', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--action <action>');
  });
});
