import { createPublicKey, type KeyObject } from 'node:crypto';
import type { CacheBehaviour, LocalDistribution } from './distribution.ts';
import { combinedForwarding, FORWARDS_NO_QUERY_STRING, type QueryStringForwarding } from './query-string-forwarding.ts';
import {
  readCachePolicyQueryStrings,
  readOriginRequestPolicyQueryStrings,
  readResponseHeadersPolicies,
  UnsupportedDistributionError,
  type PolicyTemplate,
} from './read-template-policies.ts';

/** The local "deployment" the reader works from: the template, and values resolved as CloudFormation would. */
interface ResolvedTemplate extends PolicyTemplate {
  accountId: string;
  /** The bucket whose `RegionalDomainName` (or `DomainName`) this is. */
  bucketForDomain(domainName: string): string | undefined;
}

interface BehaviourConfig {
  PathPattern?: string;
  TrustedKeyGroups?: string[];
  TrustedSigners?: string[];
  AllowedMethods?: string[];
  ResponseHeadersPolicyId?: string;
  CachePolicyId?: string;
  OriginRequestPolicyId?: string;
  /** The legacy cache settings, instead of a cache policy. */
  ForwardedValues?: { QueryString?: boolean | string };
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
  const responseHeadersPolicies = readResponseHeadersPolicies(template);
  const cachePolicies = readCachePolicyQueryStrings(template);
  const originRequestPolicies = readOriginRequestPolicyQueryStrings(template);
  const policy = <T>(policies: ReadonlyMap<string, T>, id: string, kind: string): T => {
    const found = policies.get(id);
    if (found === undefined) throw new UnsupportedDistributionError(`${logicalId}: the ${kind} ${id} is neither in this stack nor a managed policy the local CDN knows.`);
    return found;
  };
  const forwardedQueryStrings = (config: BehaviourConfig): QueryStringForwarding => {
    const cached =
      config.CachePolicyId !== undefined
        ? policy(cachePolicies, config.CachePolicyId, 'cache policy')
        : config.ForwardedValues?.QueryString === true || config.ForwardedValues?.QueryString === 'true'
          ? { kind: 'all' as const }
          : FORWARDS_NO_QUERY_STRING;
    return config.OriginRequestPolicyId === undefined ? cached : combinedForwarding(cached, policy(originRequestPolicies, config.OriginRequestPolicyId, 'origin request policy'));
  };
  const behaviour = (config: BehaviourConfig, pathPattern: string | undefined): CacheBehaviour => {
    if (config.TrustedSigners !== undefined && config.TrustedSigners.length > 0) {
      throw new UnsupportedDistributionError(`${logicalId}: TrustedSigners (account key pairs) are not emulated; use TrustedKeyGroups.`);
    }
    const trustedKeyIds = (config.TrustedKeyGroups ?? []).flatMap((groupId) => {
      const keys = keyGroups.get(groupId);
      if (keys === undefined) throw new UnsupportedDistributionError(`${logicalId}: trusted key group ${groupId} is not part of this stack.`);
      return keys;
    });
    const responseHeaders = config.ResponseHeadersPolicyId === undefined ? { cors: undefined, headers: [] } : policy(responseHeadersPolicies, config.ResponseHeadersPolicyId, 'response headers policy');
    return { pathPattern, trustedKeyIds, cors: responseHeaders.cors, policyHeaders: responseHeaders.headers, forwardedQueryStrings: forwardedQueryStrings(config) };
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
