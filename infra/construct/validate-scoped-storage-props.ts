import { Token } from 'aws-cdk-lib';
import { Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { validateAccessRules, type AccessRule, AccessRuleError } from '../access-rules/index.ts';
import { ScopedStoragePropsError } from './scoped-storage-props-error.ts';
import type { ScopedStorageProps } from './scoped-storage-props.ts';
import { validateDeliveryOptions } from './validate-delivery-options.ts';

export { ScopedStoragePropsError };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Validates the props at construction so a mistake fails `cdk synth`, not a deployment or, worse, a user. */
export function validateScopedStorageProps(props: ScopedStorageProps, accessRules: readonly AccessRule[]): void {
  validateAllowedOrigins(props.allowedOrigins);

  if (props.developerProviderName !== undefined && !Token.isUnresolved(props.developerProviderName)) {
    if (!/^[\w.-]{1,128}$/.test(props.developerProviderName)) {
      throw new ScopedStoragePropsError(`developerProviderName "${props.developerProviderName}" is invalid: use 1 to 128 letters, digits, ".", "_" or "-" (e.g. "login.example.app").`);
    }
  }

  try {
    validateAccessRules(accessRules);
  } catch (error) {
    if (error instanceof AccessRuleError) throw new ScopedStoragePropsError(`accessRules: ${error.message}`);
    throw error;
  }
  if (!props.allowGuests) {
    const guestRule = accessRules.find((rule) => rule.grants.guests || rule.grants.guestOwner);
    if (guestRule) {
      throw new ScopedStoragePropsError(`accessRules: the rule for "${guestRule.prefix}" grants to guests, but allowGuests is false; set allowGuests: true or remove the guest grant.`);
    }
  }

  const days = props.abortIncompleteMultipartUploadAfterDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365)) {
    throw new ScopedStoragePropsError(`abortIncompleteMultipartUploadAfterDays must be a whole number of days from 1 to 365 (got ${days}).`);
  }
  const maxAge = props.corsMaxAgeSeconds;
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 86_400)) {
    throw new ScopedStoragePropsError(`corsMaxAgeSeconds must be a whole number from 0 to 86400 (got ${maxAge}).`);
  }
  if (props.identityPoolName !== undefined && !/^[\w\s+=,.@-]{1,128}$/.test(props.identityPoolName)) {
    throw new ScopedStoragePropsError(`identityPoolName "${props.identityPoolName}" is invalid: 1 to 128 letters, digits, spaces or + = , . @ _ -.`);
  }
  validateAuditTrail(props.auditTrail);
  validateDeliveryOptions(props.delivery);
  if (props.requireEncryptionHeader !== undefined && typeof props.requireEncryptionHeader !== 'boolean') {
    throw new ScopedStoragePropsError(`requireEncryptionHeader must be true or false (got ${JSON.stringify(props.requireEncryptionHeader)}).`);
  }
}

function validateAuditTrail(auditTrail: ScopedStorageProps['auditTrail']): void {
  if (auditTrail === undefined || auditTrail === true) return;
  if (typeof auditTrail !== 'object' || auditTrail === null) {
    throw new ScopedStoragePropsError(`auditTrail must be true (a new trail) or { trail?, logGroup?, ... } (got ${JSON.stringify(auditTrail)}); leave it out for no audit trail.`);
  }
  if (auditTrail.trail !== undefined) {
    if (!(auditTrail.trail instanceof Trail)) {
      throw new ScopedStoragePropsError('auditTrail.trail must be a cloudtrail.Trail defined in this CDK app: the bucket\'s data event selector is added to it, which an imported or ARN-only trail cannot take.');
    }
    for (const name of ['logFileRetentionDays', 'cloudWatchLogsRetention'] as const) {
      if (auditTrail[name] !== undefined) {
        throw new ScopedStoragePropsError(`auditTrail.${name} applies to a new trail only; with auditTrail.trail, the given trail keeps its own settings.`);
      }
    }
  } else if (auditTrail.logGroup !== undefined) {
    throw new ScopedStoragePropsError('auditTrail.logGroup names the log group of an existing trail (auditTrail.trail); a new trail creates its own, so leave logGroup out or pass the trail too.');
  }
  const days = auditTrail.logFileRetentionDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
    throw new ScopedStoragePropsError(`auditTrail.logFileRetentionDays must be a whole number of days from 1 to 3650 (got ${days}).`);
  }
}

function validateAllowedOrigins(origins: readonly string[] | undefined): void {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new ScopedStoragePropsError('allowedOrigins is required: list the origins of the web apps that use the bucket, e.g. ["https://app.example.com"].');
  }
  const seen = new Set<string>();
  for (const origin of origins) {
    if (typeof origin !== 'string') throw new ScopedStoragePropsError('allowedOrigins must contain strings.');
    if (Token.isUnresolved(origin)) continue;
    if (origin.includes('*')) {
      throw new ScopedStoragePropsError(`allowedOrigins: "${origin}" contains a wildcard; list each origin explicitly so no other site can drive the bucket from a user's browser.`);
    }
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ScopedStoragePropsError(`allowedOrigins: "${origin}" is not a URL; expected an origin such as "https://app.example.com".`);
    }
    if (url.origin !== origin) {
      throw new ScopedStoragePropsError(`allowedOrigins: "${origin}" is not a bare origin (scheme://host[:port], no path or trailing slash); did you mean "${url.origin}"?`);
    }
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new ScopedStoragePropsError(`allowedOrigins: "${origin}" uses plain http; only localhost may, use https.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ScopedStoragePropsError(`allowedOrigins: "${origin}" must use https (or http for localhost).`);
    }
    if (seen.has(origin)) throw new ScopedStoragePropsError(`allowedOrigins: "${origin}" is listed twice.`);
    seen.add(origin);
  }
}
