import type { ResponseHeadersCors } from '../protocol/response-headers-cors.ts';
import { customHeadersOf, securityHeadersOf, type CustomHeadersConfig, type PolicyHeader, type SecurityHeadersConfig } from '../protocol/response-headers-policy-headers.ts';
import {
  MANAGED_CACHE_POLICY_QUERY_STRINGS,
  MANAGED_ORIGIN_REQUEST_POLICY_QUERY_STRINGS,
  queryStringForwardingOf,
  type QueryStringForwarding,
  type QueryStringsConfig,
} from './query-string-forwarding.ts';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** What the policy readers need of the template: its resources, with ids and intrinsics resolved. */
export interface PolicyTemplate {
  resources: Record<string, TemplateResource>;
  physicalId(logicalId: string): string;
  resolved<T>(logicalId: string, value: unknown): T;
}

/** A distribution the local CDN cannot run as CloudFront would. */
export class UnsupportedDistributionError extends Error {
  override readonly name = 'UnsupportedDistributionError';
}

/** What the local CDN applies of a response headers policy. */
export interface ResponseHeadersPolicy {
  /** Undefined: the policy sends no CORS headers. */
  cors: ResponseHeadersCors | undefined;
  headers: readonly PolicyHeader[];
}

/** The managed SecurityHeadersPolicy (`ResponseHeadersPolicy.SECURITY_HEADERS`): its headers, none overriding the origin. */
const MANAGED_RESPONSE_HEADERS_POLICIES: ReadonlyMap<string, ResponseHeadersPolicy> = new Map([
  [
    '67f7725c-6f97-4210-82d7-5512b31e9d03',
    {
      cors: undefined,
      headers: securityHeadersOf({
        ContentTypeOptions: { Override: false },
        FrameOptions: { FrameOption: 'SAMEORIGIN', Override: false },
        ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: false },
        StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, Override: false },
        XSSProtection: { Protection: true, ModeBlock: true, Override: false },
      }),
    },
  ],
]);

interface CorsConfig {
  AccessControlAllowOrigins?: { Items?: string[] };
  AccessControlAllowMethods?: { Items?: string[] };
  AccessControlAllowHeaders?: { Items?: string[] };
  AccessControlExposeHeaders?: { Items?: string[] };
  AccessControlAllowCredentials?: boolean | string;
  AccessControlMaxAgeSec?: number | string;
}

interface ResponseHeadersPolicyConfig {
  CorsConfig?: CorsConfig;
  SecurityHeadersConfig?: SecurityHeadersConfig;
  CustomHeadersConfig?: CustomHeadersConfig;
  RemoveHeadersConfig?: { Items?: unknown[] };
}

function resourcesOfType(template: PolicyTemplate, type: string): Array<[string, TemplateResource]> {
  return Object.entries(template.resources).filter(([, resource]) => resource.Type === type);
}

function corsOf(logicalId: string, cors: CorsConfig | undefined): ResponseHeadersCors | undefined {
  if (cors === undefined) return undefined;
  const items = (list: { Items?: string[] } | undefined): string[] => (list?.Items ?? []).filter((item): item is string => typeof item === 'string');
  const credentials = cors.AccessControlAllowCredentials === true || cors.AccessControlAllowCredentials === 'true';
  const allowOrigins = items(cors.AccessControlAllowOrigins);
  if (credentials && allowOrigins.includes('*')) throw new UnsupportedDistributionError(`${logicalId}: CloudFront refuses CORS with credentials for every origin ("*").`);
  return {
    allowOrigins,
    allowMethods: items(cors.AccessControlAllowMethods),
    allowHeaders: items(cors.AccessControlAllowHeaders),
    exposeHeaders: items(cors.AccessControlExposeHeaders),
    allowCredentials: credentials,
    maxAgeSeconds: cors.AccessControlMaxAgeSec === undefined ? undefined : Number(cors.AccessControlMaxAgeSec),
  };
}

/** Every response headers policy of the stack by its id, and the managed ones the local CDN knows. */
export function readResponseHeadersPolicies(template: PolicyTemplate): Map<string, ResponseHeadersPolicy> {
  const policies = new Map(MANAGED_RESPONSE_HEADERS_POLICIES);
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::CloudFront::ResponseHeadersPolicy')) {
    const config = template.resolved<ResponseHeadersPolicyConfig>(logicalId, resource.Properties?.ResponseHeadersPolicyConfig);
    if ((config.RemoveHeadersConfig?.Items ?? []).length > 0) throw new UnsupportedDistributionError(`${logicalId}: RemoveHeadersConfig is not emulated.`);
    policies.set(template.physicalId(logicalId), {
      cors: corsOf(logicalId, config.CorsConfig),
      headers: [...securityHeadersOf(config.SecurityHeadersConfig), ...customHeadersOf(config.CustomHeadersConfig)],
    });
  }
  return policies;
}

/** Query-string forwarding of every cache policy of the stack by its id, and of the managed ones the local CDN knows. */
export function readCachePolicyQueryStrings(template: PolicyTemplate): Map<string, QueryStringForwarding> {
  const policies = new Map(MANAGED_CACHE_POLICY_QUERY_STRINGS);
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::CloudFront::CachePolicy')) {
    const config = template.resolved<{ ParametersInCacheKeyAndForwardedToOrigin?: { QueryStringsConfig?: QueryStringsConfig } }>(logicalId, resource.Properties?.CachePolicyConfig);
    policies.set(template.physicalId(logicalId), forwardingOrThrow(logicalId, config.ParametersInCacheKeyAndForwardedToOrigin?.QueryStringsConfig));
  }
  return policies;
}

/** Query-string forwarding of every origin request policy of the stack by its id, and of the managed ones the local CDN knows. */
export function readOriginRequestPolicyQueryStrings(template: PolicyTemplate): Map<string, QueryStringForwarding> {
  const policies = new Map(MANAGED_ORIGIN_REQUEST_POLICY_QUERY_STRINGS);
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::CloudFront::OriginRequestPolicy')) {
    const config = template.resolved<{ QueryStringsConfig?: QueryStringsConfig }>(logicalId, resource.Properties?.OriginRequestPolicyConfig);
    policies.set(template.physicalId(logicalId), forwardingOrThrow(logicalId, config.QueryStringsConfig));
  }
  return policies;
}

function forwardingOrThrow(logicalId: string, config: QueryStringsConfig | undefined): QueryStringForwarding {
  const forwarding = queryStringForwardingOf(config);
  if (forwarding === undefined) throw new UnsupportedDistributionError(`${logicalId}: unknown QueryStringBehavior ${JSON.stringify(config?.QueryStringBehavior)}.`);
  return forwarding;
}
