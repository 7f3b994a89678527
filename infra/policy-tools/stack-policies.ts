import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignLocalPhysicalIds } from '../cloudformation/local-physical-ids.ts';
import { synthesizeStackTemplate, type SynthesizedTemplate } from '../stack/synthesize-stack-template.ts';
import { loadTemplatePolicies, type CompiledPolicy, type TemplatePolicies, type TemplateRole } from '../policy-engine/index.ts';
import type { PublishedLocation } from '../access-rules/index.ts';
import { policiesUnreadable, readTemplateFile, TemplateFileError } from './template-file.ts';

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
  /**
   * The `x-amz-server-side-encryption` the client library names on uploads: `AES256`, or `aws:kms`
   * for a KMS bucket, when the stack's `encryptionHeaderRequired` output is "true"; else none.
   */
  uploadEncryption: UploadEncryption | undefined;
}

export type UploadEncryption = 'AES256' | 'aws:kms';

export interface LoadStackPoliciesOptions {
  /** Synthesize with guests allowed (as `npm start` runs); ignored with a template file. @default false */
  allowGuests?: boolean;
  /** Which template a file is, for its errors: "base template", "new template". @default "template" */
  side?: string;
}

const LEGACY_PRIVATE_LOCATION: PublishedLocation = { name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } };

/** Synthesizes the current stack (or reads a template file) and compiles its policies. */
export async function loadStackPolicies(templatePath?: string, options: LoadStackPoliciesOptions = {}): Promise<StackPolicies> {
  if (templatePath) {
    const label = `${options.side ?? 'template'} ${templatePath}`;
    const template = await readTemplateFile(templatePath, label);
    try {
      return compileStackPolicies({ stackName: 'Stack', template }, label);
    } catch (error) {
      throw policiesUnreadable(label, error);
    }
  }
  const directory = mkdtempSync(join(tmpdir(), 'policy-tools-'));
  try {
    return compileStackPolicies(synthesizeStackTemplate(directory, { allowGuests: options.allowGuests ?? false }), 'the synthesized stack');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function compileStackPolicies(synthesized: SynthesizedTemplate, label: string): StackPolicies {
  const physicalIds = assignLocalPhysicalIds(synthesized.template.Resources, { accountId: ADMIN_ACCOUNT_ID, region: ADMIN_REGION, stackName: synthesized.stackName }, {});
  const policies = loadTemplatePolicies(synthesized.template, (logicalId) => physicalIds.get(logicalId), { region: ADMIN_REGION, accountId: ADMIN_ACCOUNT_ID, stackName: synthesized.stackName });
  const bucketEntry = Object.entries(synthesized.template.Resources).find(([, resource]) => resource.Type === 'AWS::S3::Bucket');
  const poolEntry = [...policies.identityPoolRoles.entries()][0];
  if (!bucketEntry || !poolEntry) throw new TemplateFileError('template-not-cloudformation', `${label}: has no bucket or no identity pool role attachment`);
  const bucket = physicalIds.get(bucketEntry[0])!.ref;
  const [identityPoolId, roles] = poolEntry;
  const outputs = synthesized.template.Outputs ?? {};
  // A template from before named locations has no output: its one rule was the private folder.
  const locations = typeof outputs.locations?.Value === 'string' ? parseLocations(outputs.locations.Value, label) : [LEGACY_PRIVATE_LOCATION];
  return {
    bucket,
    identityPoolId,
    authenticatedRole: roles.authenticated ? policies.rolesByArn.get(roles.authenticated) : undefined,
    guestRole: roles.unauthenticated ? policies.rolesByArn.get(roles.unauthenticated) : undefined,
    bucketPolicies: [policies.bucketPolicies.get(bucket)].filter((policy): policy is CompiledPolicy => policy !== undefined),
    policies,
    roleIds: new Map(policies.roles.map((role) => [role.arn, physicalIds.get(role.logicalId)!.attributes.RoleId!])),
    locations,
    guestsAllowed: outputs.guestsAllowed?.Value === 'true',
    uploadEncryption: outputs.encryptionHeaderRequired?.Value === 'true' ? bucketEncryption(bucketEntry[1].Properties) : undefined,
  };
}

/** The algorithm of the bucket's default encryption, as the header names it. */
function bucketEncryption(bucketProperties: Record<string, unknown> | undefined): UploadEncryption {
  const encryption = bucketProperties?.BucketEncryption as { ServerSideEncryptionConfiguration?: Array<{ ServerSideEncryptionByDefault?: { SSEAlgorithm?: unknown } }> } | undefined;
  const algorithms = (encryption?.ServerSideEncryptionConfiguration ?? []).map((rule) => rule.ServerSideEncryptionByDefault?.SSEAlgorithm);
  return algorithms.includes('aws:kms') ? 'aws:kms' : 'AES256';
}

/** The `locations` output; checked, since a hand-edited template could hold anything there. */
function parseLocations(value: string, label: string): PublishedLocation[] {
  const parsed = JSON.parse(value) as unknown;
  const isLocation = (entry: unknown) =>
    typeof entry === 'object' && entry !== null && typeof (entry as PublishedLocation).name === 'string' && typeof (entry as PublishedLocation).prefix === 'string' && typeof (entry as PublishedLocation).grants === 'object' && (entry as PublishedLocation).grants !== null;
  if (!Array.isArray(parsed) || !parsed.every(isLocation)) throw new TemplateFileError('template-not-cloudformation', `${label}: its "locations" output is not a list of locations`);
  return parsed as PublishedLocation[];
}
