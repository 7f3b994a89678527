import type { AccessRule } from '../../infra/access-rules/access-rule.ts';

/** Seven days, CloudFront's own advice for the longest signed-URL lifetime worth handing out. */
export const DEFAULT_MAX_LINK_SECONDS = 604_800;
/** What `POST /v1/links` signs for when the request names no lifetime (capped at the maximum). */
export const DEFAULT_LINK_SECONDS = 3600;

/**
 * CDN links and cookies (`POST /v1/links`, `POST /v1/links/cookies`, docs/delivery.md). Without
 * these options both routes answer `404 delivery_not_configured`.
 */
export interface DeliveryOptions {
  /** The distribution's address, `https://d111111abcdef8.cloudfront.net` (a trailing `/` is dropped). */
  cdnUrl: string;
  /** Id of the CloudFront public key in the distribution's key group (`K...`). */
  keyPairId: string;
  /** The RSA private key (PEM) of that public key; give this or `loadPrivateKey`. */
  privateKeyPem?: string;
  /** Reads the PEM on first use (Secrets Manager on Lambda); called again only after a failure. */
  loadPrivateKey?: () => Promise<string>;
  /** The bucket the distribution reads, for the `arn:aws:s3:::<bucket>/<key>` the rules are evaluated on. */
  bucket: string;
  /** The deployment's access rules (the `locations` output), compiled once into the authenticated role's statements. */
  accessRules: readonly AccessRule[];
  /** Longest lifetime a caller may ask for, in seconds. @default 604800 (7 days) */
  maxLinkSeconds?: number;
  /** `Domain` attribute of the cookies set by `POST /v1/links/cookies`. @default host-only cookies */
  cookieDomain?: string;
}
