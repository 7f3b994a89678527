import { defaultLocationName, parsePrefixTemplate } from './prefix-template.ts';
import { StorageError } from './storage-errors.ts';
import { ACCESS_GRANTEES, ACCESS_PERMISSIONS, type AccessGrantee, type AccessPermission, type PublishedAccessRule } from './storage-location.ts';

/**
 * What a client needs to know about a deployment. The deployed stack's outputs file
 * (`cdk deploy --outputs-file`) and the local cloud's `.local/outputs.json` carry the same keys;
 * the local one adds endpoints and the CA certificate of its HTTPS server.
 */
export interface StorageOutputs {
  region: string;
  bucket: string;
  identityPoolId: string;
  developerProviderName: string;
  tokenServiceUrl: string;
  endpoints?: {
    cognitoIdentity?: string;
    s3?: string;
  };
  /** Path of the CA certificate that signed the local cloud's HTTPS certificate. */
  caCertificate?: string;
  /** The access rules, in rule order (docs/locations.md). @default the own folder only, as before named locations */
  locations?: PublishedAccessRule[];
  /** Whether the identity pool admits guests (clients without a session). @default false */
  guestsAllowed?: boolean;
  /** The CDN's address (`https://<distribution domain>`), present only when the deployment has delivery on (docs/delivery.md). */
  cdnUrl?: string;
  /** Whether the bucket refuses uploads without `x-amz-server-side-encryption`, so the library sends it. @default false */
  encryptionHeaderRequired?: boolean;
  /** The bucket's KMS key, present only when the bucket encrypts with one: uploads and upload links then name it. */
  encryptionKeyArn?: string;
}

/** What a deployment from before named locations allowed: the own folder only. */
const LEGACY_LOCATIONS: PublishedAccessRule[] = [{ name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } }];

/** The rules of outputs, or of a deployment from before named locations when they carry none. */
export function publishedRulesOf(outputs: StorageOutputs): PublishedAccessRule[] {
  return outputs.locations ?? legacyRules();
}

function legacyRules(): PublishedAccessRule[] {
  return LEGACY_LOCATIONS.map((rule) => ({ ...rule, grants: { ...rule.grants } }));
}

const LOCATION_NAME = /^[a-z][a-z0-9-]{0,31}$/;

const REQUIRED_KEYS = ['region', 'bucket', 'identityPoolId', 'developerProviderName', 'tokenServiceUrl'] as const;

/**
 * Accepts the local outputs (flat) and the `cdk deploy --outputs-file` shape (one object per
 * stack name); with several stacks, `stackName` picks one.
 */
export function parseStorageOutputs(value: unknown, source = 'outputs', stackName?: string): StorageOutputs {
  if (!isRecord(value)) throw invalid(source, 'is not a JSON object');
  let candidate: Record<string, unknown> = value;
  if (!('bucket' in value)) {
    const stacks = Object.entries(value).filter(([, entry]) => isRecord(entry) && 'bucket' in entry);
    const chosen = stackName ? stacks.find(([name]) => name === stackName) : stacks.length === 1 ? stacks[0] : undefined;
    if (!chosen) {
      const names = stacks.map(([name]) => name).join(', ') || 'none';
      throw invalid(source, stackName ? `has no stack "${stackName}" (stacks: ${names})` : `must hold one stack's outputs (found: ${names})`);
    }
    candidate = chosen[1] as Record<string, unknown>;
  }
  for (const key of REQUIRED_KEYS) {
    if (typeof candidate[key] !== 'string' || candidate[key] === '') throw invalid(source, `lacks "${key}"`);
  }
  const endpoints = isRecord(candidate.endpoints) ? candidate.endpoints : undefined;
  return {
    region: candidate.region as string,
    bucket: candidate.bucket as string,
    identityPoolId: candidate.identityPoolId as string,
    developerProviderName: candidate.developerProviderName as string,
    tokenServiceUrl: (candidate.tokenServiceUrl as string).replace(/\/+$/, ''),
    ...(endpoints
      ? {
          endpoints: {
            ...(typeof endpoints.cognitoIdentity === 'string' ? { cognitoIdentity: endpoints.cognitoIdentity } : {}),
            ...(typeof endpoints.s3 === 'string' ? { s3: endpoints.s3 } : {}),
          },
        }
      : {}),
    ...(typeof candidate.caCertificate === 'string' ? { caCertificate: candidate.caCertificate } : {}),
    locations: candidate.locations === undefined ? legacyRules() : parseLocations(candidate.locations, source),
    guestsAllowed: parseBoolean(candidate.guestsAllowed, source, 'guestsAllowed'),
    ...(candidate.cdnUrl === undefined ? {} : { cdnUrl: parseCdnUrl(candidate.cdnUrl, source) }),
    encryptionHeaderRequired: parseBoolean(candidate.encryptionHeaderRequired, source, 'encryptionHeaderRequired'),
    ...(candidate.encryptionKeyArn === undefined ? {} : { encryptionKeyArn: parseKmsKeyArn(candidate.encryptionKeyArn, source) }),
  };
}

function parseKmsKeyArn(value: unknown, source: string): string {
  if (typeof value !== 'string' || !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(value)) throw invalid(source, `has "encryptionKeyArn" ${JSON.stringify(value)}; expected a KMS key ARN`);
  return value;
}

function parseCdnUrl(value: unknown, source: string): string {
  if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw invalid(source, `has "cdnUrl" ${JSON.stringify(value)}; expected the CDN's https:// address`);
  return value.replace(/\/+$/, '');
}

/** `locations` is JSON text in CloudFormation outputs (strings only) and an array in the local file. */
function parseLocations(value: unknown, source: string): PublishedAccessRule[] {
  let rules = value;
  if (typeof value === 'string') {
    try {
      rules = JSON.parse(value);
    } catch {
      throw invalid(source, 'has "locations" that is not valid JSON');
    }
  }
  if (!Array.isArray(rules) || rules.length === 0) throw invalid(source, 'has "locations" that is not a non-empty array of access rules');
  const names = new Set<string>();
  return rules.map((rule: unknown, index) => {
    const label = `has locations[${index}]`;
    if (!isRecord(rule)) throw invalid(source, `${label} that is not an object`);
    if (typeof rule.prefix !== 'string') throw invalid(source, `${label} without a "prefix"`);
    const segments = parsePrefixTemplate(rule.prefix);
    if (typeof segments === 'string') throw invalid(source, `${label} with prefix "${rule.prefix}" that is not a rule prefix: ${segments}`);
    const name = rule.name ?? defaultLocationName(segments);
    if (typeof name !== 'string' || !LOCATION_NAME.test(name)) throw invalid(source, `${label} with name ${JSON.stringify(name)}, which is not a location name (^[a-z][a-z0-9-]{0,31}$)`);
    if (names.has(name)) throw invalid(source, `${label} named "${name}" like an earlier one; location names are unique`);
    names.add(name);
    return { name, prefix: rule.prefix, grants: parseGrants(rule.grants, source, `${label} ("${name}")`) };
  });
}

function parseGrants(value: unknown, source: string, label: string): PublishedAccessRule['grants'] {
  if (!isRecord(value) || Object.keys(value).length === 0) throw invalid(source, `${label} without grants`);
  const grants: PublishedAccessRule['grants'] = {};
  for (const [grantee, permissions] of Object.entries(value)) {
    if (!ACCESS_GRANTEES.includes(grantee as AccessGrantee)) throw invalid(source, `${label} granting to unknown grantee "${grantee}" (known: ${ACCESS_GRANTEES.join(', ')}); upgrade the client library`);
    if (!Array.isArray(permissions)) throw invalid(source, `${label} whose "${grantee}" grant is not a list of permissions`);
    for (const permission of permissions) {
      if (!ACCESS_PERMISSIONS.includes(permission as AccessPermission)) {
        throw invalid(source, `${label} granting unknown permission ${JSON.stringify(permission)} to "${grantee}" (known: ${ACCESS_PERMISSIONS.join(', ')}); upgrade the client library`);
      }
    }
    grants[grantee as AccessGrantee] = [...(permissions as AccessPermission[])];
  }
  return grants;
}

/** `"true"`/`"false"` in the stack's outputs, a boolean in the local file; absent in older stacks (false: no guests, no encryption header). */
function parseBoolean(value: unknown, source: string, name: string): boolean {
  if (value === undefined) return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(source, `has "${name}" ${JSON.stringify(value)}; expected true or false`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(source: string, fault: string): StorageError {
  return new StorageError('InvalidConfiguration', `${source} ${fault}; expected the local cloud's .local/outputs.json or a file from "cdk deploy --outputs-file".`);
}
