import type { AccessRule } from '../../infra/access-rules/access-rule.ts';
import { AccessRuleError } from '../../infra/access-rules/access-rule-error.ts';
import { validateAccessRules } from '../../infra/access-rules/validate-access-rules.ts';
import type { SecretSource } from '../authenticators/hmac-authenticator.ts';
import { privateKeyProblem } from './cdn-signer.ts';
import { DEFAULT_MAX_LINK_SECONDS, type DeliveryOptions } from './delivery-options.ts';

/** What the `TOKEN_SERVICE_CDN_*` variables configure (docs/delivery.md). */
export interface DeliverySettings {
  cdnUrl: string;
  keyPairId: string;
  /** The PEM itself (local runs). */
  privateKey?: string;
  /** Secrets Manager ARN of the PEM (the stack). */
  privateKeySecretArn?: string;
  bucket: string;
  accessRules: AccessRule[];
  maxLinkSeconds: number;
  cookieDomain?: string;
}

/** Every variable delivery reads; setting any of them means delivery is meant to be on. */
const DELIVERY_VARIABLES = [
  'TOKEN_SERVICE_CDN_URL',
  'TOKEN_SERVICE_CDN_KEY_PAIR_ID',
  'TOKEN_SERVICE_CDN_PRIVATE_KEY',
  'TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN',
  'TOKEN_SERVICE_BUCKET',
  'TOKEN_SERVICE_LOCATIONS',
  'TOKEN_SERVICE_LINK_MAX_SECONDS',
  'TOKEN_SERVICE_CDN_COOKIE_DOMAIN',
] as const;
const REQUIRED = ['TOKEN_SERVICE_CDN_URL', 'TOKEN_SERVICE_CDN_KEY_PAIR_ID', 'TOKEN_SERVICE_BUCKET', 'TOKEN_SERVICE_LOCATIONS'] as const;
const SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/**
 * Delivery's settings, all or nothing: none of the variables leaves delivery off (the link routes
 * answer 404 delivery_not_configured); some of them is a mistake, reported with what is missing.
 */
export function readDeliverySettings(read: (name: string) => string | undefined, problem: (message: string) => void): DeliverySettings | undefined {
  const present = DELIVERY_VARIABLES.filter((name) => read(name) !== undefined);
  if (present.length === 0) return undefined;
  const missing: string[] = REQUIRED.filter((name) => read(name) === undefined);
  const privateKey = read('TOKEN_SERVICE_CDN_PRIVATE_KEY')?.replaceAll('\\n', '\n');
  const privateKeySecretArn = read('TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN');
  if (privateKey === undefined && privateKeySecretArn === undefined) missing.push('TOKEN_SERVICE_CDN_PRIVATE_KEY or TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN');
  if (missing.length > 0) {
    problem(`Delivery is partly configured (${present.join(', ')} set); also set ${missing.join(', ')}, or none of them to turn delivery off.`);
    return undefined;
  }
  const cdnUrl = read('TOKEN_SERVICE_CDN_URL')!;
  if (!URL.canParse(cdnUrl) || !/^https?:$/.test(new URL(cdnUrl).protocol)) problem(`TOKEN_SERVICE_CDN_URL must be the distribution's https:// address (got "${cdnUrl}").`);
  const keyPairId = read('TOKEN_SERVICE_CDN_KEY_PAIR_ID')!;
  if (!/^[A-Z0-9]{1,128}$/.test(keyPairId)) problem(`TOKEN_SERVICE_CDN_KEY_PAIR_ID must be a CloudFront public key id such as K2JCJMDEHXQW5F (got "${keyPairId}").`);
  if (privateKey !== undefined && privateKeySecretArn !== undefined) problem('Set TOKEN_SERVICE_CDN_PRIVATE_KEY or TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN, not both.');
  if (privateKey !== undefined) {
    const keyProblem = privateKeyProblem(privateKey);
    if (keyProblem) problem(`TOKEN_SERVICE_CDN_PRIVATE_KEY ${keyProblem}.`);
  }
  if (privateKeySecretArn !== undefined && !SECRET_ARN.test(privateKeySecretArn)) problem(`TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN must be a Secrets Manager secret ARN (got "${privateKeySecretArn}").`);
  const maxText = read('TOKEN_SERVICE_LINK_MAX_SECONDS');
  const maxLinkSeconds = maxText === undefined ? DEFAULT_MAX_LINK_SECONDS : Number(maxText);
  if (!Number.isInteger(maxLinkSeconds) || maxLinkSeconds < 1 || maxLinkSeconds > DEFAULT_MAX_LINK_SECONDS) {
    problem(`TOKEN_SERVICE_LINK_MAX_SECONDS must be a whole number from 1 to ${DEFAULT_MAX_LINK_SECONDS} (got "${maxText}").`);
  }
  const cookieDomain = read('TOKEN_SERVICE_CDN_COOKIE_DOMAIN');
  if (cookieDomain !== undefined && !/^[a-z0-9.-]{1,253}$/i.test(cookieDomain)) problem(`TOKEN_SERVICE_CDN_COOKIE_DOMAIN must be a domain name such as example.com (got "${cookieDomain}").`);
  return {
    cdnUrl,
    keyPairId,
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(privateKeySecretArn === undefined ? {} : { privateKeySecretArn }),
    bucket: read('TOKEN_SERVICE_BUCKET')!,
    accessRules: readAccessRules(read('TOKEN_SERVICE_LOCATIONS')!, problem),
    maxLinkSeconds,
    ...(cookieDomain === undefined ? {} : { cookieDomain }),
  };
}

/** `TOKEN_SERVICE_LOCATIONS`: the access rules as JSON, the same text as the stack's `locations` output. */
function readAccessRules(text: string, problem: (message: string) => void): AccessRule[] {
  let rules: unknown;
  try {
    rules = JSON.parse(text);
  } catch {
    problem('TOKEN_SERVICE_LOCATIONS must be the access rules as JSON (the stack\'s "locations" output); it is not valid JSON.');
    return [];
  }
  if (!Array.isArray(rules)) {
    problem('TOKEN_SERVICE_LOCATIONS must be a JSON array of access rules.');
    return [];
  }
  try {
    validateAccessRules(rules as AccessRule[]);
  } catch (error) {
    if (!(error instanceof AccessRuleError) && !(error instanceof TypeError)) throw error;
    problem(`TOKEN_SERVICE_LOCATIONS holds access rules that are not valid: ${error.message}`);
  }
  return rules as AccessRule[];
}

/** The app's delivery option from the settings; a secret ARN is read through `secretSource` on first use. */
export function deliveryOptionsFromSettings(settings: DeliverySettings, secretSource: (secretArn: string) => SecretSource): DeliveryOptions {
  return {
    cdnUrl: settings.cdnUrl,
    keyPairId: settings.keyPairId,
    ...(settings.privateKey !== undefined ? { privateKeyPem: settings.privateKey } : { loadPrivateKey: secretSource(settings.privateKeySecretArn!) }),
    bucket: settings.bucket,
    accessRules: settings.accessRules,
    maxLinkSeconds: settings.maxLinkSeconds,
    ...(settings.cookieDomain === undefined ? {} : { cookieDomain: settings.cookieDomain }),
  };
}
