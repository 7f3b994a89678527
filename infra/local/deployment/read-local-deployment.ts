import { join } from 'node:path';
import { resolveIntrinsics, type IntrinsicContext } from '../../cloudformation/resolve-intrinsics.ts';
import { loadTemplatePolicies, type TemplatePolicies, type TemplateRole } from '../../policy-engine/index.ts';
import type { IdentityPool } from '../cognito/model/identity-pool.ts';
import { readJsonFile, writeFileAtomic } from '../persistence/atomic-file.ts';
import type { CorsRule } from '../s3/protocol/s3-cors.ts';
import { assignLocalPhysicalIds } from '../../cloudformation/local-physical-ids.ts';
import type { SynthesizedTemplate } from '../../stack/synthesize-stack-template.ts';

/** The synthesized stack as the local cloud runs it: named resources and compiled policies. */
export interface LocalDeployment {
  stackName: string;
  accountId: string;
  region: string;
  buckets: Array<{ name: string; corsRules: CorsRule[] }>;
  identityPools: IdentityPool[];
  policies: TemplatePolicies;
  /** Each role's unique id (`AROA...`), the first half of its sessions' `aws:userid`. */
  roleIds: Map<string, string>;
  /** The token service function's role, when the stack has one. */
  tokenServiceRole: TemplateRole | undefined;
  /** The stack outputs that resolve locally (the token service URL does not: API Gateway is not emulated). */
  outputs: Record<string, string>;
}

interface RememberedDeployment {
  rememberedIds: Record<string, string>;
}

/**
 * "Deploys" a synthesized template locally: names its resources, resolves the properties the
 * local cloud needs (buckets and their CORS rules, identity pools and their roles) and compiles
 * every IAM policy. Random ids are remembered in the data directory so a restart finds the
 * same pool, identities and objects.
 */
export async function readLocalDeployment(synthesized: SynthesizedTemplate, options: { accountId: string; region: string; dataDirectory: string }): Promise<LocalDeployment> {
  const { template, stackName } = synthesized;
  const rememberedPath = join(options.dataDirectory, 'deployment.json');
  const remembered = (await readJsonFile<RememberedDeployment>(rememberedPath)) ?? { rememberedIds: {} };
  const before = JSON.stringify(remembered);
  const physicalIds = assignLocalPhysicalIds(template.Resources, { accountId: options.accountId, region: options.region, stackName }, remembered.rememberedIds);
  if (JSON.stringify(remembered) !== before) await writeFileAtomic(rememberedPath, JSON.stringify(remembered, null, 2));

  const context: IntrinsicContext = { physicalResource: (logicalId) => physicalIds.get(logicalId), region: options.region, accountId: options.accountId, stackName };
  const policies = loadTemplatePolicies(template, (logicalId) => physicalIds.get(logicalId), { region: options.region, accountId: options.accountId, stackName });
  const unenforceable = policies.roles.filter((role) => role.externalManagedPolicyArns.length > 0);
  if (unenforceable.length > 0) {
    throw new Error(`Role ${unenforceable[0]!.logicalId} uses AWS managed policies (${unenforceable[0]!.externalManagedPolicyArns.join(', ')}), which the local cloud cannot enforce; give it inline policies.`);
  }
  const roleIds = new Map(policies.roles.map((role) => [role.arn, physicalIds.get(role.logicalId)!.attributes.RoleId!]));
  const resolved = <T>(logicalId: string, value: unknown): T => resolveIntrinsics(value, context, logicalId) as T;

  const buckets: LocalDeployment['buckets'] = [];
  const identityPools: IdentityPool[] = [];
  let tokenServiceRole: TemplateRole | undefined;
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::S3::Bucket') {
      const cors = resolved<{ CorsRules?: CorsRule[] } | undefined>(logicalId, properties.CorsConfiguration);
      buckets.push({ name: physicalIds.get(logicalId)!.ref, corsRules: cors?.CorsRules ?? [] });
    } else if (resource.Type === 'AWS::Cognito::IdentityPool') {
      const identityPoolId = physicalIds.get(logicalId)!.ref;
      identityPools.push({
        identityPoolId,
        identityPoolName: physicalIds.get(logicalId)!.attributes.Name ?? logicalId,
        developerProviderName: resolved<string>(logicalId, properties.DeveloperProviderName),
        allowUnauthenticatedIdentities: resolved<boolean>(logicalId, properties.AllowUnauthenticatedIdentities) === true,
        allowClassicFlow: resolved<boolean>(logicalId, properties.AllowClassicFlow) === true,
        roles: policies.identityPoolRoles.get(identityPoolId) ?? {},
      });
    } else if (resource.Type === 'AWS::Lambda::Function') {
      const variables = resolved<{ Variables?: Record<string, string> } | undefined>(logicalId, properties.Environment)?.Variables ?? {};
      if (variables.TOKEN_SERVICE_IDENTITY_POOL_ID !== undefined) tokenServiceRole = policies.rolesByArn.get(resolved<string>(logicalId, properties.Role));
    }
  }

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    try {
      outputs[key] = String(resolveIntrinsics(output.Value, context, `Outputs.${key}`));
    } catch {
      // Outputs of resources the local cloud does not run (the API Gateway URL) stay unresolved.
    }
  }
  return { stackName, accountId: options.accountId, region: options.region, buckets, identityPools, policies, roleIds, tokenServiceRole, outputs };
}
