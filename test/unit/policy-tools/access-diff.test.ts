import { execFile } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultAccessRules, type AccessRule } from '../../../infra/access-rules/index.ts';
import { diffAccess, type AccessChange } from '../../../infra/policy-tools/access-diff.ts';
import { ExpectationSyntaxError, parseExpectations } from '../../../infra/policy-tools/expectations.ts';
import { findPersona } from '../../../infra/policy-tools/personas.ts';
import { loadStackPolicies } from '../../../infra/policy-tools/stack-policies.ts';
import { TEMPLATE_SIZE_LIMIT_BYTES, TemplateFileError } from '../../../infra/policy-tools/template-file.ts';
import { synthesizeStackTemplate, type SynthesizedTemplate } from '../../../infra/stack/synthesize-stack-template.ts';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'infra/policy-tools/cli.ts'];
const ALL = ['read', 'write', 'delete', 'list'] as const;
const SIGNED_IN = ['alice', 'bob', 'carol'];

const directory = mkdtempSync(join(tmpdir(), 'policy-diff-'));
/** Template files by name, written once for the whole file. */
const templates: Record<string, string> = {};

function writeTemplate(name: string, template: SynthesizedTemplate['template']): string {
  const file = join(directory, `${name}.json`);
  writeFileSync(file, JSON.stringify(template));
  templates[name] = file;
  return file;
}

function synthesize(name: string, options: { accessRules?: AccessRule[]; allowGuests?: boolean } = {}): SynthesizedTemplate['template'] {
  const template = synthesizeStackTemplate(mkdtempSync(join(directory, 'cdk-')), options).template;
  writeTemplate(name, template);
  return template;
}

/** The default rules with one rule's grants replaced. */
function withGrants(name: string, grants: AccessRule['grants']): AccessRule[] {
  return defaultAccessRules().map((rule) => (rule.name === name ? { ...rule, grants } : rule));
}

function rows(changes: AccessChange[]): string[] {
  return changes.map((change) => `${change.persona} ${change.operation} ${change.key} | ${change.keyClass} | ${change.allowedBy.join(',')}`).sort();
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [...CLI, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

let base: SynthesizedTemplate['template'];

beforeAll(() => {
  base = synthesize('base');
  synthesize('guests', { allowGuests: true });
  synthesize('shared-delete', { accessRules: withGrants('shared', { authenticated: ['read', 'list', 'delete'] }) });
  synthesize('shared-no-list', { accessRules: withGrants('shared', { authenticated: ['read'] }) });
  // The same access written differently: rules in another order (their Sids change), permissions
  // in another order, and the shared location renamed (a name is not access).
  const refactored = defaultAccessRules()
    .map((rule): AccessRule => (rule.name === 'shared' ? { ...rule, name: 'common', grants: { authenticated: ['list', 'read'] } } : rule.name === 'private' ? { ...rule, grants: { owner: [...ALL].reverse() } } : rule))
    .reverse();
  synthesize('refactored', { accessRules: refactored });
}, 60_000);

describe('diffAccess', () => {
  it('names exactly a new grant: delete on shared/ for each signed-in persona, with the statement that allows it', async () => {
    const diff = diffAccess(await loadStackPolicies(templates.base), await loadStackPolicies(templates['shared-delete']));
    expect(rows(diff.newlyAllowed)).toEqual(SIGNED_IN.map((persona) => `${persona} delete shared/photo.jpg | shared (shared/) | Rule2AuthenticatedObjects`));
    expect(diff.newlyAllowed.every((change) => change.deniedBy.length === 0 && change.deniedBecause === 'no statement allows it (implicit deny)')).toBe(true);
    expect(diff.newlyDenied).toEqual([]);
  });

  it('names a revoked grant as newly denied, with the statement that used to allow it', async () => {
    const diff = diffAccess(await loadStackPolicies(templates.base), await loadStackPolicies(templates['shared-no-list']));
    expect(diff.newlyAllowed).toEqual([]);
    expect(rows(diff.newlyDenied)).toEqual(SIGNED_IN.map((persona) => `${persona} list shared/ | shared (shared/) | Rule2AuthenticatedList`));
  });

  it('reports nothing for a refactor with the same access: rules reordered (other Sids), permissions reordered, a location renamed', async () => {
    const refactored = await loadStackPolicies(templates.refactored);
    expect(refactored.authenticatedRole!.policies.flatMap((policy) => policy.statements.map((statement) => statement.sid))).toContain('Rule0TenantMembersObjects');
    const diff = diffAccess(await loadStackPolicies(templates.base), refactored);
    expect(diff).toMatchObject({ newlyAllowed: [], newlyDenied: [] });
    expect(diff.compared).toBeGreaterThan(100);
  });

  it('judges a location only one side has by the other side\'s policies: guests added are newly allowed, removed newly denied', async () => {
    const without = await loadStackPolicies(templates.base);
    const withGuests = await loadStackPolicies(templates.guests);
    const added = diffAccess(without, withGuests);
    const guestId = findPersona('guest').identityId;
    const aliceId = findPersona('alice').identityId;
    expect(rows(added.newlyAllowed)).toContain(`guest put users/${guestId}/photo.jpg | private (users/{identityId}/): own folder | Rule0GuestOwnerObjects`);
    expect(rows(added.newlyAllowed)).toContain(`alice put public/${aliceId}/photo.jpg | public (public/{identityId}/): own folder | Rule4OwnerObjects`);
    expect(rows(added.newlyAllowed)).toContain(`guest get public/${aliceId}/photo.jpg | public (public/{identityId}/): other identity's folder (protected) | Rule4GuestsObjects`);
    expect(added.newlyAllowed.some((change) => change.persona === 'bob' && change.key.startsWith(`public/${aliceId}/`) && change.operation === 'put')).toBe(false);
    expect(added.newlyDenied).toEqual([]);

    const removed = diffAccess(withGuests, without);
    expect(removed.newlyAllowed).toEqual([]);
    expect(rows(removed.newlyDenied)).toEqual(rows(added.newlyAllowed));
  });

  it('compares the requests of an expectations file too, labelled by their line', async () => {
    const before = await loadStackPolicies(templates.base);
    const after = await loadStackPolicies(templates['shared-delete']);
    const expectations = parseExpectations('owner can get private:a.txt\nother cannot delete shared:handbook.pdf\n', 'mine.txt', after.locations);
    const diff = diffAccess(before, after, expectations, 'mine.txt');
    expect(rows(diff.newlyAllowed)).toContain('bob delete shared/handbook.pdf | shared (shared/): mine.txt:2 "other cannot delete shared:handbook.pdf" | Rule2AuthenticatedObjects');
    expect(diff.newlyAllowed.length).toBe(4);
  });

  it('names the explicit deny that newly denies a request', async () => {
    const denying = structuredClone(base);
    const policy = Object.values(denying.Resources).find((resource) => resource.Type === 'AWS::S3::BucketPolicy')!;
    const document = policy.Properties!.PolicyDocument as { Statement: unknown[] };
    const bucketArn = { 'Fn::GetAtt': [Object.keys(denying.Resources).find((id) => denying.Resources[id]!.Type === 'AWS::S3::Bucket'), 'Arn'] };
    document.Statement.push({ Sid: 'NoSharedReads', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [bucketArn, '/shared/*']] } });
    const diff = diffAccess(await loadStackPolicies(templates.base), await loadStackPolicies(writeTemplate('deny-shared', denying)));
    expect(diff.newlyAllowed).toEqual([]);
    expect(diff.newlyDenied.map((change) => `${change.persona} ${change.operation} ${change.deniedBy.join(',')} ${change.deniedBecause}`).sort()).toEqual(
      SIGNED_IN.flatMap((persona) => [`${persona} copy-from NoSharedReads explicit deny`, `${persona} get NoSharedReads explicit deny`]),
    );
  });
});

describe('npm run policy -- diff', () => {
  it('prints the newly allowed requests with their location and Sid, and exits 1', async () => {
    const result = await runCli(['diff', templates.base!, templates['shared-delete']!]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('NEWLY ALLOWED (3):\n  alice delete shared/photo.jpg\n    shared (shared/)\n    allowed by Rule2AuthenticatedObjects; before: no statement allows it (implicit deny)');
    expect(result.stdout).toContain('NEWLY DENIED: none');
  });

  it('prints the newly denied requests and exits 0', async () => {
    const result = await runCli(['diff', templates.base!, templates['shared-no-list']!]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('NEWLY ALLOWED: none');
    expect(result.stdout).toContain('NEWLY DENIED (3):\n  alice list shared/\n    shared (shared/)\n    was allowed by Rule2AuthenticatedList; now: no statement allows it (implicit deny)');
  });

  it('compares against the synthesized stack by default, honouring --allow-guests', async () => {
    const same = await runCli(['diff', templates.base!]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('NEWLY ALLOWED: none\n\nNEWLY DENIED: none');
    const guests = await runCli(['--allow-guests', 'diff', templates.base!]);
    expect(guests.code).toBe(1);
    expect(guests.stdout).toContain(`guest put users/${findPersona('guest').identityId}/photo.jpg`);
  });

  it('prints { newlyAllowed, newlyDenied } with --json', async () => {
    const result = await runCli(['diff', '--json', templates.base!, templates['shared-delete']!]);
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as { newlyAllowed: AccessChange[]; newlyDenied: AccessChange[] };
    expect(Object.keys(parsed)).toEqual(['newlyAllowed', 'newlyDenied']);
    expect(parsed.newlyDenied).toEqual([]);
    expect(parsed.newlyAllowed[0]).toEqual({
      persona: 'alice',
      operation: 'delete',
      key: 'shared/photo.jpg',
      location: 'shared',
      keyClass: 'shared (shared/)',
      allowedBy: ['Rule2AuthenticatedObjects'],
      deniedBy: [],
      deniedBecause: 'no statement allows it (implicit deny)',
    });
  });

  it('takes --expectations and labels their requests by line', async () => {
    const file = join(directory, 'expectations.txt');
    writeFileSync(file, 'other cannot delete shared:handbook.pdf\n');
    const result = await runCli(['diff', templates.base!, templates['shared-delete']!, '--expectations', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`  bob delete shared/handbook.pdf\n    shared (shared/): ${file}:1 "other cannot delete shared:handbook.pdf"`);
  });

  it.each([
    ['no base template', ['diff']],
    ['a base template that does not exist', ['diff', join(directory, 'missing.json'), join(directory, 'base.json')]],
    ['a template that is not JSON', ['diff', join(directory, 'expectations-broken.txt'), join(directory, 'base.json')]],
    ['a template without a bucket', ['diff', join(directory, 'empty.json'), join(directory, 'base.json')]],
    ['an expectations file naming an unknown location', ['diff', join(directory, 'base.json'), join(directory, 'base.json'), '--expectations', join(directory, 'expectations-broken.txt')]],
    ['an unknown option', ['diff', '--jsn', join(directory, 'base.json')]],
  ])('%s is a usage error: exit 2', async (_name, args) => {
    writeFileSync(join(directory, 'expectations-broken.txt'), 'owner can get photos:a.jpg\n');
    writeFileSync(join(directory, 'empty.json'), '{"Resources": {}}');
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error/);
    expect(result.stdout).toBe('');
  });
});

/** A file with exactly this text, under its own name. */
function writeText(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

describe('template files the tools cannot use', () => {
  const deep = 1_000_000;
  it.each([
    ['an empty file', '', 'template-not-json', /^base template \S+: not valid JSON \(Unexpected end of JSON input\)$/],
    ['a cut-off template', '{"Resources": {', 'template-not-json', /^base template \S+: not valid JSON \(.+\)$/],
    ['null', 'null', 'template-not-cloudformation', /^base template \S+: not a CloudFormation template \(no "Resources" object\)$/],
    ['an array', '[1,2,3]', 'template-not-cloudformation', /^base template \S+: not a CloudFormation template \(no "Resources" object\)$/],
    ['an empty object', '{}', 'template-not-cloudformation', /^base template \S+: not a CloudFormation template \(no "Resources" object\)$/],
    ['"Resources": null', '{"Resources":null}', 'template-not-cloudformation', /^base template \S+: not a CloudFormation template \(no "Resources" object\)$/],
    ['"Resources" an array', '{"Resources":[]}', 'template-not-cloudformation', /^base template \S+: not a CloudFormation template \(no "Resources" object\)$/],
    ['a resource that is null', '{"Resources":{"Bucket":null}}', 'template-not-cloudformation', /^base template \S+: not a CloudFormation template \(resource "Bucket" is not an object with a "Type"\)$/],
    ['deeply nested JSON', `${'['.repeat(deep)}${']'.repeat(deep)}`, undefined, /^base template \S+: not (valid JSON|a CloudFormation template) \(.+\)$/],
    ['no bucket', '{"Resources":{}}', 'template-not-cloudformation', /^base template \S+: has no bucket or no identity pool role attachment$/],
  ])('%s: one line naming the side and the file', async (name, text, code, message) => {
    const file = writeText(`bad-${name.replace(/\W+/g, '-')}.json`, text);
    const error = await loadStackPolicies(file, { side: 'base template' }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TemplateFileError);
    if (code) expect((error as TemplateFileError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(file);
  });

  it('names the file in an error compiling its policies, and a "locations" output that is not a list', async () => {
    const broken = structuredClone(base);
    broken.Outputs = { ...broken.Outputs, locations: { Value: '{"private": true}' } };
    const file = writeTemplate('bad-locations', broken);
    await expect(loadStackPolicies(file, { side: 'new template' })).rejects.toThrow(`new template ${file}: its "locations" output is not a list of locations`);
    const unparsable = structuredClone(base);
    unparsable.Outputs = { ...unparsable.Outputs, locations: { Value: 'not json' } };
    const unparsableFile = writeTemplate('bad-locations-json', unparsable);
    await expect(loadStackPolicies(unparsableFile)).rejects.toThrow(new RegExp(`^template ${unparsableFile}: cannot read its policies \\(.+\\)$`));
  });

  it('refuses a file above the size limit before reading it', async () => {
    const file = join(directory, 'huge.json');
    writeFileSync(file, '');
    truncateSync(file, TEMPLATE_SIZE_LIMIT_BYTES + 1);
    await expect(loadStackPolicies(file, { side: 'base template' })).rejects.toThrow(`base template ${file}: too large (${TEMPLATE_SIZE_LIMIT_BYTES + 1} bytes; a template may have at most ${TEMPLATE_SIZE_LIMIT_BYTES} bytes)`);
  });

  it('diff exits 2 with one line naming the bad side and file', async () => {
    const empty = writeText('cli-empty.json', '');
    const baseResult = await runCli(['diff', empty, templates.base!]);
    expect(baseResult).toMatchObject({ code: 2, stdout: '', stderr: `error: base template ${empty}: not valid JSON (Unexpected end of JSON input)\n` });
    const object = writeText('cli-object.json', '{}');
    const newResult = await runCli(['diff', templates.base!, object]);
    expect(newResult).toMatchObject({ code: 2, stdout: '', stderr: `error: new template ${object}: not a CloudFormation template (no "Resources" object)\n` });
    const viaTemplateOption = await runCli(['--template', object, 'diff', templates.base!]);
    expect(viaTemplateOption).toMatchObject({ code: 2, stderr: `error: new template ${object}: not a CloudFormation template (no "Resources" object)\n` });
  });

  it('matrix --template names the file the same way', async () => {
    const file = writeText('cli-null.json', 'null');
    const result = await runCli(['--template', file, 'matrix']);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: `error: template ${file}: not a CloudFormation template (no "Resources" object)\n` });
  });
});

describe('diff wording', () => {
  it('mentions the expectations in the summary only when given, naming the file', async () => {
    const without = await runCli(['diff', templates.base!, templates.base!]);
    expect(without.stdout).toMatch(/requests compared: each persona x operation x key class of either template\.\n$/);
    const file = writeText('summary-expectations.txt', 'owner can get private:a.txt\n');
    const withFile = await runCli(['diff', templates.base!, templates.base!, '--expectations', file]);
    expect(withFile.stdout).toMatch(new RegExp(`key class of either template, and the requests of ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\n$`));
  });

  it('lists each location once for an unknown location, though both sides have them', async () => {
    const file = writeText('unknown-location.txt', '\nowner can get photos:a.jpg\n');
    const result = await runCli(['diff', templates.base!, templates.base!, '--expectations', file]);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: `error: ${file}:2: Unknown location "photos" in "photos:a.jpg": the stack's locations are private, protected, shared, team.\n` });
  });

  it('refuses an expectation without a key, naming the line; a list without a key is the bucket root', async () => {
    expect(() => parseExpectations('owner can get', 'f.txt')).toThrow(ExpectationSyntaxError);
    expect(() => parseExpectations('owner cannot list users/{self}/\nowner can get', 'f.txt')).toThrow('f.txt:2: "get" needs a key (only list may omit it, to list the bucket root)');
    expect(() => parseExpectations('other cannot s3:GetObject', 'f.txt')).toThrow('f.txt:1: "s3:GetObject" needs a key');
    expect(parseExpectations('owner cannot list', 'f.txt')[0]).toMatchObject({ operation: 'list', keyTemplate: '' });
  });

  it('check still accepts the shipped default expectations file', async () => {
    const result = await runCli(['check', 'infra/access-rules/default-expectations.txt']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^(\d+) of \1 expectations hold\.\n$/);
  });

  it('names an expectations file it cannot read', async () => {
    const missing = join(directory, 'no-such-expectations.txt');
    const result = await runCli(['diff', templates.base!, templates.base!, '--expectations', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^error: expectations file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read it \\(ENOENT.*\\)\\n$`));
  });
});
