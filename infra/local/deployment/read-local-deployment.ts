import { join } from 'node:path';
import { resolveIntrinsics, type IntrinsicContext } from '../../cloudformation/resolve-intrinsics.ts';
import { loadTemplatePolicies, type TemplatePolicies, type TemplateRole } from '../../policy-engine/index.ts';
import type { IdentityPool } from '../cognito/model/identity-pool.ts';
import { readJsonFile, writeFileAtomic } from '../persistence/atomic-file.ts';
import type { CorsRule } from '../s3/protocol/s3-cors.ts';
import { assignLocalPhysicalIds } from '../../cloudformation/local-physical-ids.ts';
import type { SynthesizedTemplate } from '../../stack/synthesize-stack-template.ts';
import { cdnPrivateKeyPath, loadOrCreateCdnKeyPair, type CdnKeyPair } from '../cdn/model/cdn-key-pair.ts';
import type { LocalDistribution } from '../cdn/model/distribution.ts';
import { readTemplateDistribution } from '../cdn/model/read-template-distribution.ts';

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
  /** The token service function's environment as deployed (empty without one), e.g. `TOKEN_SERVICE_LINK_MAX_SECONDS`. */
  tokenServiceEnvironment: Record<string, string>;
  /** The stack outputs that resolve locally (the token service URL does not: API Gateway is not emulated). */
  outputs: Record<string, string>;
  /** The CloudFront distribution, when the stack delivers through one. */
  distribution: LocalDistribution | undefined;
  /** The key pair the token service signs with (the stand-in for `Custom::CloudFrontKeyPair`), with its public key's id. */
  cdnSigningKey: (CdnKeyPair & { keyPairId: string; secretArn: string }) | undefined;
}

/** The stand-in key pair of one `Custom::CloudFrontKeyPair` resource. */
interface LocalKeyPairResource extends CdnKeyPair {
  logicalId: string;
  secretArn: string;
}

const KEY_PAIR_RESOURCE = 'Custom::CloudFrontKeyPair';

interface RememberedDeployment {
  rememberedIds: Record<string, string>;
}

/**
 * "Deploys" a synthesized template locally: names its resources, resolves the properties the
 * local cloud needs (buckets and their CORS rules, identity pools and their roles) and compiles
 * every IAM policy. Random ids are remembered in the data directory so a restart finds the
 * same pool, identities and objects.
 */
export async function readLocalDeployment(
  synthesized: SynthesizedTemplate,
  options: { accountId: string; region: string; dataDirectory: string; /** Where CDN private keys are kept. */ stateDirectory: string },
): Promise<LocalDeployment> {
  const { template, stackName } = synthesized;
  const rememberedPath = join(options.dataDirectory, 'deployment.json');
  const remembered = (await readJsonFile<RememberedDeployment>(rememberedPath)) ?? { rememberedIds: {} };
  const before = JSON.stringify(remembered);
  const physicalIds = assignLocalPhysicalIds(template.Resources, { accountId: options.accountId, region: options.region, stackName }, remembered.rememberedIds);
  if (JSON.stringify(remembered) !== before) await writeFileAtomic(rememberedPath, JSON.stringify(remembered, null, 2));
  const keyPairs = await standInKeyPairs(template.Resources, physicalIds, options);

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
  let tokenServiceEnvironment: Record<string, string> = {};
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
      if (variables.TOKEN_SERVICE_IDENTITY_POOL_ID !== undefined) {
        tokenServiceRole = policies.rolesByArn.get(resolved<string>(logicalId, properties.Role));
        tokenServiceEnvironment = variables;
      }
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
  const distribution = readTemplateDistribution({
    resources: template.Resources,
    accountId: options.accountId,
    physicalId: (logicalId) => physicalIds.get(logicalId)!.ref,
    resolved,
    bucketForDomain: (domainName) =>
      [...physicalIds.entries()].find(([logicalId, resource]) => template.Resources[logicalId]?.Type === 'AWS::S3::Bucket' && (resource.attributes.RegionalDomainName === domainName || resource.attributes.DomainName === domainName))?.[1].ref,
  });
  const cdnSigningKey = distribution && signingKey(template.Resources, keyPairs, resolved, (logicalId) => physicalIds.get(logicalId)!.ref);
  return { stackName, accountId: options.accountId, region: options.region, buckets, identityPools, policies, roleIds, tokenServiceRole, tokenServiceEnvironment, outputs, distribution, cdnSigningKey };
}

/**
 * Stands in for each `Custom::CloudFrontKeyPair` (a Lambda on AWS): an RSA 2048 key pair kept in
 * the state directory, and the attributes the custom resource returns (`PublicKeyPem`, and a
 * local `SecretArn` that names where the private key would be).
 */
async function standInKeyPairs(
  resources: SynthesizedTemplate['template']['Resources'],
  physicalIds: ReturnType<typeof assignLocalPhysicalIds>,
  options: { accountId: string; region: string; stateDirectory: string },
): Promise<LocalKeyPairResource[]> {
  const keyPairs: LocalKeyPairResource[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== KEY_PAIR_RESOURCE) continue;
    const keyPair = await loadOrCreateCdnKeyPair(cdnPrivateKeyPath(options.stateDirectory, logicalId, keyPairs.length === 0));
    const prefix = typeof resource.Properties?.SecretNamePrefix === 'string' ? resource.Properties.SecretNamePrefix : logicalId;
    const secretArn = `arn:aws:secretsmanager:${options.region}:${options.accountId}:secret:${prefix}-local`;
    physicalIds.get(logicalId)!.attributes = { PublicKeyPem: keyPair.publicKeyPem, SecretArn: secretArn };
    keyPairs.push({ ...keyPair, logicalId, secretArn });
  }
  return keyPairs;
}

/**
 * The key pair the token service signs with: the one whose secret its function is given
 * (`TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN`), else the template's first; and the id of the
 * CloudFront public key made from it.
 */
function signingKey(
  resources: SynthesizedTemplate['template']['Resources'],
  keyPairs: LocalKeyPairResource[],
  resolved: <T>(logicalId: string, value: unknown) => T,
  physicalId: (logicalId: string) => string,
): LocalDeployment['cdnSigningKey'] {
  let chosen = keyPairs[0];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = resolved<{ Variables?: Record<string, string> } | undefined>(logicalId, resource.Properties?.Environment)?.Variables ?? {};
    const secretArn = variables.TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN;
    if (secretArn !== undefined) chosen = keyPairs.find((keyPair) => keyPair.secretArn === secretArn) ?? chosen;
  }
  if (chosen === undefined) return undefined;
  const publicKey = Object.entries(resources).find(
    ([logicalId, resource]) => resource.Type === 'AWS::CloudFront::PublicKey' && resolved<{ EncodedKey?: string }>(logicalId, resource.Properties?.PublicKeyConfig).EncodedKey === chosen.publicKeyPem,
  );
  if (publicKey === undefined) return undefined;
  const { logicalId: _logicalId, ...keyPair } = chosen;
  return { ...keyPair, keyPairId: physicalId(publicKey[0]) };
}
