import type { KeyObject } from 'node:crypto';
import { resourceMatches } from '../protocol/policy-resource.ts';
import type { ResponseHeadersCors } from '../protocol/response-headers-cors.ts';
import type { PolicyHeader } from '../protocol/response-headers-policy-headers.ts';
import type { QueryStringForwarding } from './query-string-forwarding.ts';

/** One cache behaviour as the local CDN applies it. */
export interface CacheBehaviour {
  /** CloudFront path pattern with a leading `/` (`/public/*`); `undefined` for the default behaviour. */
  pathPattern: string | undefined;
  /** Ids of the public keys in the behaviour's trusted key groups; empty: unsigned requests are served. */
  trustedKeyIds: readonly string[];
  /** CORS of the behaviour's response headers policy; undefined: the policy sends no CORS headers. */
  cors: ResponseHeadersCors | undefined;
  /** The security and custom headers of the behaviour's response headers policy, written on every answer. */
  policyHeaders: readonly PolicyHeader[];
  /** The query parameters the behaviour's cache and origin request policies forward to the origin. */
  forwardedQueryStrings: QueryStringForwarding;
}

/** The distribution of the synthesized stack, resolved for the local CDN. */
export interface LocalDistribution {
  /** `E...`, remembered across restarts. */
  id: string;
  /** `arn:aws:cloudfront::<account>:distribution/<id>`: the bucket policy's `AWS:SourceArn`. */
  arn: string;
  /** In CloudFront's order: the path-pattern behaviours first, the default last. */
  behaviours: readonly CacheBehaviour[];
  /** The S3 origin's bucket name. */
  originBucket: string;
  /** Every public key of the distribution's key groups, by id. */
  publicKeys: ReadonlyMap<string, KeyObject>;
}

/** The first behaviour whose path pattern matches the request path (as sent), else the default, as CloudFront picks it. */
export function behaviourFor(distribution: LocalDistribution, rawPath: string): CacheBehaviour {
  const chosen = distribution.behaviours.find((behaviour) => behaviour.pathPattern === undefined || resourceMatches(behaviour.pathPattern, rawPath));
  if (chosen === undefined) throw new Error('The distribution has no default behaviour.');
  return chosen;
}

/** The keys a behaviour trusts, for signature verification. */
export function trustedKeys(distribution: LocalDistribution, behaviour: CacheBehaviour): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const id of behaviour.trustedKeyIds) {
    const key = distribution.publicKeys.get(id);
    if (key) keys.set(id, key);
  }
  return keys;
}
