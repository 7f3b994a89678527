import { createPublicKey, type KeyObject } from 'node:crypto';
import type { ResponseHeadersCors } from '../protocol/response-headers-cors.ts';
import type { CacheBehaviour, LocalDistribution } from './distribution.ts';

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** The local "deployment" the reader works from: the template, and values resolved as CloudFormation would. */
interface ResolvedTemplate {
  resources: Record<string, TemplateResource>;
  accountId: string;
  /** `Ref` of a resource. */
  physicalId(logicalId: string): string;
  /** A property tree with its intrinsics resolved. */
  resolved<T>(logicalId: string, value: unknown): T;
  /** The bucket whose `RegionalDomainName` (or `DomainName`) this is. */
  bucketForDomain(domainName: string): string | undefined;
}

/** A distribution the local CDN cannot run as CloudFront would. */
export class UnsupportedDistributionError extends Error {
  override readonly name = 'UnsupportedDistributionError';
}

interface BehaviourConfig {
  PathPattern?: string;
  TrustedKeyGroups?: string[];
  TrustedSigners?: string[];
  AllowedMethods?: string[];
  ResponseHeadersPolicyId?: string;
}

interface DistributionConfig {
  Origins?: Array<{ DomainName?: string; OriginAccessControlId?: string; Id?: string }>;
  DefaultCacheBehavior?: BehaviourConfig;
  CacheBehaviors?: BehaviourConfig[];
}

/**
 * The template's CloudFront distribution as the local CDN runs it: behaviours in CloudFront's
 * order with the public keys of their trusted key groups, and the S3 bucket its origin reads
 * through origin access control. Undefined when the stack has no distribution.
 */
export function readTemplateDistribution(template: ResolvedTemplate): LocalDistribution | undefined {
  const distributions = Object.entries(template.resources).filter(([, resource]) => resource.Type === 'AWS::CloudFront::Distribution');
  if (distributions.length === 0) return undefined;
  if (distributions.length > 1) throw new UnsupportedDistributionError('The stack has more than one CloudFront distribution; the local CDN runs one.');
  const [logicalId, resource] = distributions[0]!;
  const config = template.resolved<DistributionConfig>(logicalId, resource.Properties?.DistributionConfig);
  const origins = config.Origins ?? [];
  const origin = origins[0];
  if (origins.length !== 1 || origin?.DomainName === undefined) throw new UnsupportedDistributionError(`${logicalId}: the local CDN runs a distribution with exactly one S3 origin.`);
  if (!origin.OriginAccessControlId) throw new UnsupportedDistributionError(`${logicalId}: the origin has no origin access control; the local CDN emulates OAC origins only.`);
  const originBucket = template.bucketForDomain(origin.DomainName);
  if (originBucket === undefined) throw new UnsupportedDistributionError(`${logicalId}: the origin ${origin.DomainName} is not a bucket of this stack.`);
  if (config.DefaultCacheBehavior === undefined) throw new UnsupportedDistributionError(`${logicalId}: no DefaultCacheBehavior.`);

  const publicKeys = readPublicKeys(template);
  const keyGroups = readKeyGroups(template);
  const corsPolicies = readResponseHeadersCors(template);
  const behaviour = (config: BehaviourConfig, pathPattern: string | undefined): CacheBehaviour => {
    if (config.TrustedSigners !== undefined && config.TrustedSigners.length > 0) {
      throw new UnsupportedDistributionError(`${logicalId}: TrustedSigners (account key pairs) are not emulated; use TrustedKeyGroups.`);
    }
    const trustedKeyIds = (config.TrustedKeyGroups ?? []).flatMap((groupId) => {
      const keys = keyGroups.get(groupId);
      if (keys === undefined) throw new UnsupportedDistributionError(`${logicalId}: trusted key group ${groupId} is not part of this stack.`);
      return keys;
    });
    // A managed policy (not in the template) is taken to send no CORS headers, as SECURITY_HEADERS does.
    const cors = config.ResponseHeadersPolicyId === undefined ? undefined : corsPolicies.get(config.ResponseHeadersPolicyId);
    return { pathPattern, trustedKeyIds, cors };
  };
  const behaviours = [
    ...(config.CacheBehaviors ?? []).map((cacheBehaviour) => behaviour(cacheBehaviour, `/${(cacheBehaviour.PathPattern ?? '').replace(/^\//, '')}`)),
    behaviour(config.DefaultCacheBehavior, undefined),
  ];
  const id = template.physicalId(logicalId);
  return { id, arn: `arn:aws:cloudfront::${template.accountId}:distribution/${id}`, behaviours, originBucket, publicKeys };
}

function readPublicKeys(template: ResolvedTemplate): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const [logicalId, resource] of Object.entries(template.resources)) {
    if (resource.Type !== 'AWS::CloudFront::PublicKey') continue;
    const config = template.resolved<{ EncodedKey?: string }>(logicalId, resource.Properties?.PublicKeyConfig);
    if (typeof config.EncodedKey !== 'string') throw new UnsupportedDistributionError(`${logicalId}: PublicKeyConfig.EncodedKey is not a PEM.`);
    const key = createPublicKey(config.EncodedKey);
    if (key.asymmetricKeyType !== 'rsa') throw new UnsupportedDistributionError(`${logicalId}: CloudFront public keys are RSA.`);
    keys.set(template.physicalId(logicalId), key);
  }
  return keys;
}

function readKeyGroups(template: ResolvedTemplate): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [logicalId, resource] of Object.entries(template.resources)) {
    if (resource.Type !== 'AWS::CloudFront::KeyGroup') continue;
    const config = template.resolved<{ Items?: string[] }>(logicalId, resource.Properties?.KeyGroupConfig);
    groups.set(template.physicalId(logicalId), config.Items ?? []);
  }
  return groups;
}

interface CorsConfig {
  AccessControlAllowOrigins?: { Items?: string[] };
  AccessControlAllowMethods?: { Items?: string[] };
  AccessControlAllowHeaders?: { Items?: string[] };
  AccessControlExposeHeaders?: { Items?: string[] };
  AccessControlAllowCredentials?: boolean | string;
  AccessControlMaxAgeSec?: number | string;
}

/** The CORS configuration of each response headers policy of the stack, by its id. */
function readResponseHeadersCors(template: ResolvedTemplate): Map<string, ResponseHeadersCors> {
  const policies = new Map<string, ResponseHeadersCors>();
  for (const [logicalId, resource] of Object.entries(template.resources)) {
    if (resource.Type !== 'AWS::CloudFront::ResponseHeadersPolicy') continue;
    const config = template.resolved<{ CorsConfig?: CorsConfig }>(logicalId, resource.Properties?.ResponseHeadersPolicyConfig);
    const cors = config.CorsConfig;
    if (cors === undefined) continue;
    const items = (list: { Items?: string[] } | undefined): string[] => (list?.Items ?? []).filter((item): item is string => typeof item === 'string');
    const credentials = cors.AccessControlAllowCredentials === true || cors.AccessControlAllowCredentials === 'true';
    const allowOrigins = items(cors.AccessControlAllowOrigins);
    if (credentials && allowOrigins.includes('*')) throw new UnsupportedDistributionError(`${logicalId}: CloudFront refuses CORS with credentials for every origin ("*").`);
    policies.set(template.physicalId(logicalId), {
      allowOrigins,
      allowMethods: items(cors.AccessControlAllowMethods),
      allowHeaders: items(cors.AccessControlAllowHeaders),
      exposeHeaders: items(cors.AccessControlExposeHeaders),
      allowCredentials: credentials,
      maxAgeSeconds: cors.AccessControlMaxAgeSec === undefined ? undefined : Number(cors.AccessControlMaxAgeSec),
    });
  }
  return policies;
}
