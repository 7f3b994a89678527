import { describeUnknownAction, findUnknownAction } from '../policy-engine/known-actions.ts';
import type { AccessGrantee, AccessPermission, AccessRule } from './access-rule.ts';
import { AccessRuleError } from './access-rule-error.ts';
import { describePrefix, validateAccessRules } from './validate-access-rules.ts';
import { IDENTITY_ID_PLACEHOLDER, IDENTITY_ID_VARIABLE, PRINCIPAL_TAG_PLACEHOLDER_PATTERN, principalTagVariable } from './access-rule-variables.ts';

/** An IAM policy statement as it appears in a policy document. */
export interface IamStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Which Cognito role a grantee's statements belong to. */
export type IdentityRoleKind = 'authenticated' | 'guest';

const GRANTEE_ROLE: Record<AccessGrantee, IdentityRoleKind> = {
  owner: 'authenticated',
  authenticated: 'authenticated',
  tenantMembers: 'authenticated',
  guestOwner: 'guest',
  guests: 'guest',
};

/**
 * Object actions per permission. Writers also get what resuming and cancelling their own
 * multipart uploads need (list the parts already sent, abort), which Amplify's generated
 * policies leave out.
 */
const OBJECT_ACTIONS: Record<Exclude<AccessPermission, 'list'>, string[]> = {
  read: ['s3:GetObject'],
  write: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  delete: ['s3:DeleteObject'],
};

export interface CompileAccessRulesOptions {
  /** ARN of the bucket (may be a CDK token). */
  bucketArn: string;
  /** When the bucket is encrypted with a customer-managed KMS key: its ARN, so roles get exactly the key use S3 needs. */
  kmsKeyArn?: string;
  /** Region of the bucket, for the `kms:ViaService` condition. */
  region?: string;
}

export type CompiledAccessStatements = Record<IdentityRoleKind, IamStatement[]>;

/** Turns a prefix template into the IAM form, e.g. `users/{identityId}/` -> `users/${cognito-identity.amazonaws.com:sub}/`. */
export function prefixToPolicyForm(prefix: string): string {
  return prefix
    .replace(IDENTITY_ID_PLACEHOLDER, IDENTITY_ID_VARIABLE)
    .replace(PRINCIPAL_TAG_PLACEHOLDER_PATTERN, (_match, tagKey: string) => principalTagVariable(tagKey));
}

/** Compiles validated access rules into least-privilege statements for the authenticated and the guest role. */
export function compileAccessRules(rules: readonly AccessRule[], options: CompileAccessRulesOptions): CompiledAccessStatements {
  validateAccessRules(rules);
  const compiled: CompiledAccessStatements = { authenticated: [], guest: [] };
  const kmsUse: Record<IdentityRoleKind, Set<string>> = { authenticated: new Set(), guest: new Set() };

  rules.forEach((rule, ruleIndex) => {
    const shape = describePrefix(rule.prefix);
    const condition = requireOneSegmentTags(shape.tagKeys);
    for (const [grantee, permissions] of Object.entries(rule.grants) as [AccessGrantee, AccessPermission[]][]) {
      const role = GRANTEE_ROLE[grantee];
      const sidBase = `Rule${ruleIndex}${grantee[0]!.toUpperCase()}${grantee.slice(1)}`;
      const reach = shape.usesIdentityId && !OWNER_GRANTEES.has(grantee) ? everyIdentityReach(shape.beforeIdentityId!) : ownReach(prefixToPolicyForm(rule.prefix));
      const objectActions = permissions.filter((p): p is Exclude<AccessPermission, 'list'> => p !== 'list').flatMap((p) => OBJECT_ACTIONS[p]);
      if (objectActions.length > 0) {
        compiled[role].push({
          Sid: `${sidBase}Objects`,
          Effect: 'Allow',
          Action: objectActions,
          Resource: `${options.bucketArn}/${reach.objects}`,
          ...(condition ? { Condition: condition } : {}),
        });
      }
      if (permissions.includes('list')) {
        compiled[role].push({
          Sid: `${sidBase}List`,
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: options.bucketArn,
          Condition: { ...condition, StringLike: { ...condition?.StringLike, 's3:prefix': reach.listPrefixes } },
        });
      }
      if (permissions.includes('read')) kmsUse[role].add('kms:Decrypt');
      if (permissions.includes('write')) {
        kmsUse[role].add('kms:GenerateDataKey');
        kmsUse[role].add('kms:Decrypt');
      }
    }
  });

  if (options.kmsKeyArn) {
    for (const role of ['authenticated', 'guest'] as const) {
      if (kmsUse[role].size === 0) continue;
      compiled[role].push({
        Sid: 'BucketKeyUseThroughS3',
        Effect: 'Allow',
        Action: [...kmsUse[role]].sort(),
        Resource: options.kmsKeyArn,
        ...(options.region ? { Condition: { StringEquals: { 'kms:ViaService': `s3.${options.region}.amazonaws.com` } } } : {}),
      });
    }
  }
  assertRealActions(compiled);
  return compiled;
}

const OWNER_GRANTEES = new Set<AccessGrantee>(['owner', 'guestOwner']);

/** The object resource (after the bucket ARN) and the `s3:prefix` patterns a grant reaches. */
interface GrantReach {
  objects: string;
  listPrefixes: string[];
}

/** A grant confined to one resolved prefix: its objects, and listings of it or below it. */
function ownReach(policyPrefix: string): GrantReach {
  return { objects: `${policyPrefix}*`, listPrefixes: [policyPrefix, `${policyPrefix}*`] };
}

/**
 * The protected kind: every identity's folder under `<before>{identityId}/`. Objects are
 * `<before>*\/*`. A listing's prefix must match `<before>?*\/*`: it already holds a whole, non-empty
 * identity segment and its `/`, so S3 answers only keys inside the folder the caller named; a
 * prefix of `<before>` alone, a partial id, or no prefix at all matches nothing here, and
 * identities cannot be enumerated (a `*` or `?` in the request's prefix is a literal to S3).
 */
function everyIdentityReach(beforeIdentityId: string): GrantReach {
  const before = prefixToPolicyForm(beforeIdentityId);
  return { objects: `${before}*/*`, listPrefixes: [`${before}?*/*`] };
}

/** AWS never matches a misspelt action, so a typo in the tables above would silently grant nothing. */
function assertRealActions(compiled: CompiledAccessStatements): void {
  for (const statement of [...compiled.authenticated, ...compiled.guest]) {
    for (const action of statement.Action) {
      const unknown = findUnknownAction(action);
      if (unknown) throw new AccessRuleError(`statement ${statement.Sid}: ${describeUnknownAction(unknown)}.`);
    }
  }
}

/** Tag values that would not be one path segment: a `/` anywhere (`*` also matches nothing, so this covers a leading or trailing `/`), or `.`/`..`. */
const NOT_ONE_SEGMENT = ['*/*', '.', '..'];

/**
 * IAM substitutes a tag value into the resource literally, so the statements themselves must
 * keep `{tag:<key>}` one whole path segment: an empty value would turn `tenants/${aws:PrincipalTag/tenant}/`
 * into `tenants//`, shared by every identity without a tenant; a value `acme/eu` would put that
 * tenant's files inside tenant `acme`'s prefix; `.` and `..` name no segment of their own.
 * StringNotLike with several values holds only when none of them matches.
 */
function requireOneSegmentTags(tagKeys: string[]): IamStatement['Condition'] | undefined {
  if (tagKeys.length === 0) return undefined;
  return {
    StringLike: Object.fromEntries(tagKeys.map((key) => [`aws:PrincipalTag/${key}`, '?*'])),
    StringNotLike: Object.fromEntries(tagKeys.map((key) => [`aws:PrincipalTag/${key}`, [...NOT_ONE_SEGMENT]])),
  };
}
