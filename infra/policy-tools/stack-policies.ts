import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignLocalPhysicalIds } from '../cloudformation/local-physical-ids.ts';
import { synthesizeStackTemplate, type SynthesizedTemplate } from '../stack/synthesize-stack-template.ts';
import { loadTemplatePolicies, type CompiledPolicy, type TemplatePolicies, type TemplateRole } from '../policy-engine/index.ts';
import type { PublishedLocation } from '../access-rules/index.ts';

export const ADMIN_ACCOUNT_ID = '111122223333';
const ADMIN_REGION = 'us-east-1';

/** The policies of one stack, ready for the admin tools. */
export interface StackPolicies {
  bucket: string;
  identityPoolId: string;
  authenticatedRole: TemplateRole | undefined;
  guestRole: TemplateRole | undefined;
  bucketPolicies: CompiledPolicy[];
  policies: TemplatePolicies;
  /** Role ARN -> unique role id, for `aws:userid`. */
  roleIds: Map<string, string>;
  /** The stack's `locations` output, parsed: the access rules by name, in rule order. */
  locations: PublishedLocation[];
  guestsAllowed: boolean;
}

export interface LoadStackPoliciesOptions {
  /** Synthesize with guests allowed (as `npm start` runs); ignored with a template file. @default false */
  allowGuests?: boolean;
}

const LEGACY_PRIVATE_LOCATION: PublishedLocation = { name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } };

/** Synthesizes the current stack (or reads a template file) and compiles its policies. */
export async function loadStackPolicies(templatePath?: string, options: LoadStackPoliciesOptions = {}): Promise<StackPolicies> {
  let synthesized: SynthesizedTemplate;
  if (templatePath) {
    synthesized = { stackName: 'Stack', template: JSON.parse(await readFile(templatePath, 'utf8')) as SynthesizedTemplate['template'] };
  } else {
    const directory = mkdtempSync(join(tmpdir(), 'policy-tools-'));
    try {
      synthesized = synthesizeStackTemplate(directory, { allowGuests: options.allowGuests ?? false });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
  const physicalIds = assignLocalPhysicalIds(synthesized.template.Resources, { accountId: ADMIN_ACCOUNT_ID, region: ADMIN_REGION, stackName: synthesized.stackName }, {});
  const policies = loadTemplatePolicies(synthesized.template, (logicalId) => physicalIds.get(logicalId), { region: ADMIN_REGION, accountId: ADMIN_ACCOUNT_ID, stackName: synthesized.stackName });
  const bucketEntry = Object.entries(synthesized.template.Resources).find(([, resource]) => resource.Type === 'AWS::S3::Bucket');
  const poolEntry = [...policies.identityPoolRoles.entries()][0];
  if (!bucketEntry || !poolEntry) throw new Error('The template has no bucket or no identity pool role attachment.');
  const bucket = physicalIds.get(bucketEntry[0])!.ref;
  const [identityPoolId, roles] = poolEntry;
  const outputs = synthesized.template.Outputs ?? {};
  return {
    bucket,
    identityPoolId,
    authenticatedRole: roles.authenticated ? policies.rolesByArn.get(roles.authenticated) : undefined,
    guestRole: roles.unauthenticated ? policies.rolesByArn.get(roles.unauthenticated) : undefined,
    bucketPolicies: [policies.bucketPolicies.get(bucket)].filter((policy): policy is CompiledPolicy => policy !== undefined),
    policies,
    roleIds: new Map(policies.roles.map((role) => [role.arn, physicalIds.get(role.logicalId)!.attributes.RoleId!])),
    // A template from before named locations has no output: its one rule was the private folder.
    locations: typeof outputs.locations?.Value === 'string' ? (JSON.parse(outputs.locations.Value) as PublishedLocation[]) : [LEGACY_PRIVATE_LOCATION],
    guestsAllowed: outputs.guestsAllowed?.Value === 'true',
  };
}
