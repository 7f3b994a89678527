/**
 * Which viewer query parameters a behaviour forwards to the origin: those its cache policy puts in
 * the cache key, and those its origin request policy adds. CloudFront sends S3 no others, so S3
 * never sees (and never acts on) the rest, e.g. `response-content-disposition`.
 */
export type QueryStringForwarding = { kind: 'none' } | { kind: 'all' } | { kind: 'allowList'; names: readonly string[] } | { kind: 'allExcept'; names: readonly string[] };

/** `QueryStringsConfig` of a cache policy or an origin request policy, as CloudFormation spells it. */
export interface QueryStringsConfig {
  QueryStringBehavior?: string;
  QueryStrings?: string[] | { Items?: string[] };
}

export const FORWARDS_NO_QUERY_STRING: QueryStringForwarding = { kind: 'none' };

/** Managed cache policies (their ids are the same in every account) and what they forward. */
export const MANAGED_CACHE_POLICY_QUERY_STRINGS: ReadonlyMap<string, QueryStringForwarding> = new Map<string, QueryStringForwarding>([
  ['658327ea-f89d-4fab-a63d-7e88639e58f6', FORWARDS_NO_QUERY_STRING], // CachingOptimized
  ['b2884449-e4de-46a7-ac36-70bc7f1ddd6d', FORWARDS_NO_QUERY_STRING], // CachingOptimizedForUncompressedObjects
  ['4135ea2d-6df8-44a3-9df3-4b5a84be39ad', FORWARDS_NO_QUERY_STRING], // CachingDisabled
]);

/** Managed origin request policies and the query strings they add. */
export const MANAGED_ORIGIN_REQUEST_POLICY_QUERY_STRINGS: ReadonlyMap<string, QueryStringForwarding> = new Map<string, QueryStringForwarding>([
  ['88a5eaf4-2fd4-4709-b370-b4c650ea3fcf', FORWARDS_NO_QUERY_STRING], // CORS-S3Origin
  ['216adef6-5c7f-47e4-b989-5492eafa07d3', { kind: 'all' }], // AllViewer
]);

/** A policy's `QueryStringsConfig` read; undefined for a behaviour CloudFront does not have. */
export function queryStringForwardingOf(config: QueryStringsConfig | undefined): QueryStringForwarding | undefined {
  const behaviour = (config?.QueryStringBehavior ?? 'none').toLowerCase();
  const listed = config?.QueryStrings;
  const names = (Array.isArray(listed) ? listed : (listed?.Items ?? [])).filter((name): name is string => typeof name === 'string');
  if (behaviour === 'none') return FORWARDS_NO_QUERY_STRING;
  if (behaviour === 'all') return { kind: 'all' };
  if (behaviour === 'whitelist') return { kind: 'allowList', names };
  if (behaviour === 'allexcept') return { kind: 'allExcept', names };
  return undefined;
}

/** What a cache policy and an origin request policy forward together. */
export function combinedForwarding(first: QueryStringForwarding, second: QueryStringForwarding): QueryStringForwarding {
  if (first.kind === 'none') return second;
  if (second.kind === 'none') return first;
  if (first.kind === 'allowList' && second.kind === 'allowList') return { kind: 'allowList', names: [...new Set([...first.names, ...second.names])] };
  if (first.kind === 'allExcept' && second.kind === 'allExcept') return { kind: 'allExcept', names: first.names.filter((name) => second.names.includes(name)) };
  if (first.kind === 'all' || second.kind === 'all') return { kind: 'all' };
  // One lists what it forwards, the other what it keeps back: all but what only the second keeps back.
  const allowList = first.kind === 'allowList' ? first : second;
  const allExcept = first.kind === 'allExcept' ? first : second;
  return { kind: 'allExcept', names: allExcept.names.filter((name) => !allowList.names.includes(name)) };
}

/** Whether the origin gets the query parameter `name` (CloudFront compares names case-sensitively). */
export function forwardsQueryString(forwarding: QueryStringForwarding, name: string): boolean {
  switch (forwarding.kind) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'allowList':
      return forwarding.names.includes(name);
    case 'allExcept':
      return !forwarding.names.includes(name);
  }
}
