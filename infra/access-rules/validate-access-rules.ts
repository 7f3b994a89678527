import { ACCESS_GRANTEES, ACCESS_PERMISSIONS, type AccessGrantee, type AccessRule } from './access-rule.ts';
import { AccessRuleError } from './access-rule-error.ts';
import { IDENTITY_ID_PLACEHOLDER, PRINCIPAL_TAG_PLACEHOLDER_PATTERN } from './access-rule-variables.ts';

const MAX_PREFIX_BYTES = 512;
const IDENTITY_GRANTEES: readonly AccessGrantee[] = ['owner', 'guestOwner'];
const TAG_GRANTEES: readonly AccessGrantee[] = ['tenantMembers'];
const PLAIN_GRANTEES: readonly AccessGrantee[] = ['authenticated', 'guests'];

/** What a prefix template refers to, once validated. */
interface PrefixShape {
  usesIdentityId: boolean;
  tagKeys: string[];
}

/**
 * Checks a rule set and throws {@link AccessRuleError} naming the first fault. The checks are
 * the ones that keep the compiled policy from granting more than the admin meant: every
 * placeholder is a whole path segment followed by `/` (so identity `abc` never reaches `abcd/`),
 * no IAM wildcard or variable syntax sneaks in through a literal, and every grantee fits the
 * placeholders of its prefix.
 */
export function validateAccessRules(rules: readonly AccessRule[]): void {
  if (rules.length === 0) {
    throw new AccessRuleError('accessRules is empty: identities could not reach any key. Give at least one rule, e.g. { prefix: "users/{identityId}/", grants: { owner: ["read", "write", "delete", "list"] } }.');
  }
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    const label = `access rule ${index} (prefix "${rule.prefix}")`;
    const shape = describePrefix(rule.prefix, label);
    if (seen.has(rule.prefix)) throw new AccessRuleError(`${label}: duplicate prefix; merge its grants into one rule.`);
    seen.add(rule.prefix);
    validateGrants(rule, shape, label);
  });
}

/** Validates a prefix template and reports which placeholders it uses. */
export function describePrefix(prefix: string, label = `prefix "${prefix}"`): PrefixShape {
  if (typeof prefix !== 'string' || prefix.length === 0) throw new AccessRuleError(`${label}: prefix must be a non-empty string.`);
  if (!prefix.endsWith('/')) throw new AccessRuleError(`${label}: prefix must end with "/", otherwise it would also match longer neighbours (e.g. "abc" matching "abcd").`);
  if (prefix.startsWith('/')) throw new AccessRuleError(`${label}: prefix must not start with "/" (S3 keys have no leading slash).`);
  if (prefix.includes('//')) throw new AccessRuleError(`${label}: prefix must not contain an empty segment ("//").`);
  if (Buffer.byteLength(prefix, 'utf8') > MAX_PREFIX_BYTES) throw new AccessRuleError(`${label}: prefix is longer than ${MAX_PREFIX_BYTES} bytes.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(prefix)) throw new AccessRuleError(`${label}: prefix contains a control character.`);

  const segments = prefix.slice(0, -1).split('/');
  let usesIdentityId = false;
  const tagKeys: string[] = [];
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw new AccessRuleError(`${label}: prefix must not contain "." or ".." segments.`);
    if (segment === IDENTITY_ID_PLACEHOLDER) {
      if (usesIdentityId) throw new AccessRuleError(`${label}: {identityId} may appear only once.`);
      usesIdentityId = true;
      continue;
    }
    const tagMatch = [...segment.matchAll(PRINCIPAL_TAG_PLACEHOLDER_PATTERN)];
    if (tagMatch.length > 0) {
      if (tagMatch.length !== 1 || tagMatch[0]![0] !== segment) {
        throw new AccessRuleError(`${label}: a placeholder must be a whole path segment, followed by "/" (got "${segment}").`);
      }
      tagKeys.push(tagMatch[0]![1]!);
      continue;
    }
    if (/[{}]/.test(segment)) {
      throw new AccessRuleError(`${label}: unknown placeholder in "${segment}"; use {identityId} or {tag:<key>} as a whole path segment.`);
    }
    if (/[*?$]/.test(segment)) {
      throw new AccessRuleError(`${label}: "*", "?" and "$" are IAM wildcard/variable syntax and are not allowed in a prefix ("${segment}").`);
    }
  }
  return { usesIdentityId, tagKeys };
}

function validateGrants(rule: AccessRule, shape: PrefixShape, label: string): void {
  const grantees = Object.keys(rule.grants ?? {});
  if (grantees.length === 0) throw new AccessRuleError(`${label}: grants is empty.`);
  for (const grantee of grantees) {
    if (!ACCESS_GRANTEES.includes(grantee as AccessGrantee)) {
      throw new AccessRuleError(`${label}: unknown grantee "${grantee}"; expected one of ${ACCESS_GRANTEES.join(', ')}.`);
    }
    const permissions = rule.grants[grantee as AccessGrantee] ?? [];
    if (permissions.length === 0) throw new AccessRuleError(`${label}: grantee "${grantee}" has no permissions; remove it or list some.`);
    const unique = new Set(permissions);
    if (unique.size !== permissions.length) throw new AccessRuleError(`${label}: grantee "${grantee}" lists a permission twice.`);
    for (const permission of permissions) {
      if (!ACCESS_PERMISSIONS.includes(permission)) {
        throw new AccessRuleError(`${label}: unknown permission "${permission}" for "${grantee}"; expected one of ${ACCESS_PERMISSIONS.join(', ')}.`);
      }
    }
    const allowed = shape.usesIdentityId ? IDENTITY_GRANTEES : shape.tagKeys.length > 0 ? TAG_GRANTEES : PLAIN_GRANTEES;
    if (!allowed.includes(grantee as AccessGrantee)) {
      const why = shape.usesIdentityId
        ? 'a prefix with {identityId} belongs to its owner: grant to "owner" or "guestOwner"'
        : shape.tagKeys.length > 0
          ? 'a prefix with {tag:...} belongs to the members of that tag: grant to "tenantMembers"'
          : 'a prefix without placeholders is shared: grant to "authenticated" or "guests"';
      throw new AccessRuleError(`${label}: grantee "${grantee}" does not fit this prefix; ${why}.`);
    }
  }
}
