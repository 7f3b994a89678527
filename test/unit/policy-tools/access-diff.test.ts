import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultAccessRules, type AccessRule } from '../../../infra/access-rules/index.ts';
import { diffAccess, type AccessChange } from '../../../infra/policy-tools/access-diff.ts';
import { parseExpectations } from '../../../infra/policy-tools/expectations.ts';
import { findPersona } from '../../../infra/policy-tools/personas.ts';
import { loadStackPolicies } from '../../../infra/policy-tools/stack-policies.ts';
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
