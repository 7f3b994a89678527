import { Duration } from 'aws-cdk-lib';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

/** A key pair slot of the distribution's key group. Two slots let a key be rotated without a gap. */
export type CdnKeySlot = 'a' | 'b';

export const CDN_KEY_SLOTS: readonly CdnKeySlot[] = ['a', 'b'];

/** Options of the CloudFront distribution in front of the bucket (`ScopedStorageProps.delivery`). */
export interface DeliveryOptions {
  /**
   * Longest lifetime of a link or cookie the token service signs. From 1 second to 7 days: a
   * signed link cannot be revoked before it expires, short of rotating the key pair.
   * @default Duration.days(7)
   */
  readonly maxLinkLifetime?: Duration;
  /**
   * Bucket for CloudFront standard logs (it needs ACLs enabled, as CloudFront requires).
   * @default no logs
   */
  readonly logBucket?: IBucket;
  /** @default PriceClass.PRICE_CLASS_100 */
  readonly priceClass?: PriceClass;
  /**
   * `Domain` attribute of the signed cookies the token service sets: the parent domain the CDN
   * and the app share, e.g. `example.com` (a bare host name, no scheme, port or leading dot).
   * @default host-only cookies
   */
  readonly cookieDomain?: string;
  /**
   * The key pair slots in the key group. Each slot is its own RSA 2048 key pair (a custom
   * resource creating the private key in Secrets Manager) and CloudFront public key. Two slots
   * exist only during a rotation (README: "Rotating the CDN key").
   * @default ['a']
   */
  readonly keySlots?: readonly CdnKeySlot[];
  /**
   * The slot whose key the token service signs with; one of `keySlots`.
   * @default the first of `keySlots`
   */
  readonly activeKeySlot?: CdnKeySlot;
}

export const DELIVERY_DEFAULTS = {
  maxLinkLifetime: Duration.days(7),
  priceClass: PriceClass.PRICE_CLASS_100,
  keySlots: ['a'] as readonly CdnKeySlot[],
} as const;

/** Bounds of `maxLinkLifetime`, in seconds: CloudFront takes any expiry, but a week bounds what a leaked link can do. */
export const MIN_LINK_LIFETIME_SECONDS = 1;
export const MAX_LINK_LIFETIME_SECONDS = 7 * 24 * 3600;
