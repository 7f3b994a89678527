import { ACCESS_GRANTEES, ACCESS_PERMISSIONS, type AccessGrantee, type AccessPermission, type AccessRule } from './access-rule.ts';
import { AccessRuleError } from './access-rule-error.ts';
import { IDENTITY_ID_PLACEHOLDER, PRINCIPAL_TAG_PLACEHOLDER_PATTERN } from './access-rule-variables.ts';

const MAX_PREFIX_BYTES = 512;
const OWNER_GRANTEES: readonly AccessGrantee[] = ['owner', 'guestOwner'];
/** On a prefix with {identityId}, these reach every identity's folder: the protected kind. */
const PROTECTED_GRANTEES: readonly AccessGrantee[] = ['authenticated', 'guests'];
const PROTECTED_PERMISSIONS: readonly AccessPermission[] = ['read', 'list'];
const TAG_GRANTEES: readonly AccessGrantee[] = ['tenantMembers'];
const PLAIN_GRANTEES: readonly AccessGrantee[] = ['authenticated', 'guests'];

/** A location name: what clients show and the CLI types before the colon (`shared:handbook.pdf`). */
export const ACCESS_RULE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** What a prefix template refers to, once validated. */
interface PrefixShape {
  usesIdentityId: boolean;
  tagKeys: string[];
  /** The prefix before `{identityId}` (`protected/` for `protected/{identityId}/`), when it has one. */
  beforeIdentityId: string | undefined;
  /** True when `{identityId}` is the last segment: nothing follows it but the final `/`. */
  identityIdIsLast: boolean;
}

/**
 * Checks a rule set and throws {@link AccessRuleError} naming the first fault. The checks are
 * the ones that keep the compiled policy from granting more than the admin meant: every
 * placeholder is a whole path segment followed by `/` (so identity `abc` never reaches `abcd/`),
 * no IAM wildcard or variable syntax sneaks in through a literal, every grantee fits the
 * placeholders of its prefix, and a protected prefix (one where others read every identity's
 * folder) shares its folders with no other rule.
 */
export function validateAccessRules(rules: readonly AccessRule[]): void {
  if (rules.length === 0) {
    throw new AccessRuleError('accessRules is empty: identities could not reach any key. Give at least one rule, e.g. { name: "private", prefix: "users/{identityId}/", grants: { owner: ["read", "write", "delete", "list"] } }.');
  }
  const seen = new Set<string>();
  const shapes = rules.map((rule, index) => {
    const label = ruleLabel(rule, index);
    const shape = describePrefix(rule.prefix, label);
    if (seen.has(rule.prefix)) throw new AccessRuleError(`${label}: duplicate prefix; merge its grants into one rule.`);
    seen.add(rule.prefix);
    validateGrants(rule, shape, label);
    return shape;
  });
  accessRuleNames(rules);
  rules.forEach((rule, index) => {
    const shape = shapes[index]!;
    if (isProtected(rule, shape)) refuseRulesInsideProtectedFolders(rules, index, shape);
  });
}

function ruleLabel(rule: AccessRule, index: number): string {
  return `access rule ${index}${typeof rule.name === 'string' ? ` "${rule.name}"` : ''} (prefix "${rule.prefix}")`;
}

/**
 * The location name of each rule, in rule order: its `name`, or the first literal segment of its
 * prefix lower-cased. Throws when a name is malformed, cannot be derived, or is taken twice.
 */
export function accessRuleNames(rules: readonly AccessRule[]): string[] {
  const taken = new Map<string, number>();
  return rules.map((rule, index) => {
    const label = ruleLabel(rule, index);
    let name: string;
    if (rule.name !== undefined) {
      if (typeof rule.name !== 'string' || !ACCESS_RULE_NAME_PATTERN.test(rule.name)) {
        throw new AccessRuleError(`${label}: name ${JSON.stringify(rule.name)} is invalid: use 1 to 32 lower-case letters, digits or "-", starting with a letter (e.g. "photos").`);
      }
      name = rule.name;
    } else {
      const literal = rule.prefix.split('/').find((segment) => segment.length > 0 && !segment.includes('{'));
      const derived = literal?.toLowerCase();
      if (derived === undefined || !ACCESS_RULE_NAME_PATTERN.test(derived)) {
        const why = literal === undefined ? 'the prefix has no literal segment' : `its first literal segment "${literal}" is not a valid name`;
        throw new AccessRuleError(`${label}: cannot derive a location name (${why}); give the rule a name: 1 to 32 lower-case letters, digits or "-", starting with a letter (e.g. name: "files").`);
      }
      name = derived;
    }
    const clash = taken.get(name);
    if (clash !== undefined) {
      throw new AccessRuleError(`${label}: location name "${name}" is already used by access rule ${clash} (prefix "${rules[clash]!.prefix}"); give one of them another name, e.g. name: "${name}-2".`);
    }
    taken.set(name, index);
    return name;
  });
}

/** True when the rule lets identities other than the owner into every identity's folder. */
export function isProtected(rule: AccessRule, shape: PrefixShape): boolean {
  return shape.usesIdentityId && PROTECTED_GRANTEES.some((grantee) => rule.grants[grantee] !== undefined);
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
  let identityIndex = -1;
  const tagKeys: string[] = [];
  segments.forEach((segment, index) => {
    if (segment === '.' || segment === '..') throw new AccessRuleError(`${label}: prefix must not contain "." or ".." segments.`);
    if (segment === IDENTITY_ID_PLACEHOLDER) {
      if (identityIndex >= 0) throw new AccessRuleError(`${label}: {identityId} may appear only once.`);
      identityIndex = index;
      return;
    }
    const tagMatch = [...segment.matchAll(PRINCIPAL_TAG_PLACEHOLDER_PATTERN)];
    if (tagMatch.length > 0) {
      if (tagMatch.length !== 1 || tagMatch[0]![0] !== segment) {
        throw new AccessRuleError(`${label}: a placeholder must be a whole path segment, followed by "/" (got "${segment}").`);
      }
      tagKeys.push(tagMatch[0]![1]!);
      return;
    }
    if (/[{}]/.test(segment)) {
      throw new AccessRuleError(`${label}: unknown placeholder in "${segment}"; use {identityId} or {tag:<key>} as a whole path segment.`);
    }
    if (/[*?$]/.test(segment)) {
      throw new AccessRuleError(`${label}: "*", "?" and "$" are IAM wildcard/variable syntax and are not allowed in a prefix ("${segment}").`);
    }
  });
  const usesIdentityId = identityIndex >= 0;
  return {
    usesIdentityId,
    tagKeys,
    beforeIdentityId: usesIdentityId ? segments.slice(0, identityIndex).map((segment) => `${segment}/`).join('') : undefined,
    identityIdIsLast: identityIndex === segments.length - 1,
  };
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
    if (shape.usesIdentityId && PROTECTED_GRANTEES.includes(grantee as AccessGrantee)) {
      validateProtectedGrant(grantee as AccessGrantee, permissions, shape, label);
      continue;
    }
    const allowed = shape.usesIdentityId ? OWNER_GRANTEES : shape.tagKeys.length > 0 ? TAG_GRANTEES : PLAIN_GRANTEES;
    if (!allowed.includes(grantee as AccessGrantee)) {
      const why = shape.usesIdentityId
        ? 'a prefix with {identityId} belongs to its owner: grant to "owner" or "guestOwner" (and read/list to "authenticated" or "guests" for a protected folder)'
        : shape.tagKeys.length > 0
          ? 'a prefix with {tag:...} belongs to the members of that tag: grant to "tenantMembers"'
          : 'a prefix without placeholders is shared: grant to "authenticated" or "guests"';
      throw new AccessRuleError(`${label}: grantee "${grantee}" does not fit this prefix; ${why}.`);
    }
  }
}

/**
 * `authenticated` or `guests` on an identity prefix: everyone may read every identity's folder,
 * only by naming the identity. Writing there would let anyone plant files in another identity's
 * folder; a suffix after `{identityId}/` cannot be kept by IAM (`*` crosses `/`, so
 * `protected/*\/photos/*` also matches `protected/<id>/private/photos/x`).
 */
function validateProtectedGrant(grantee: AccessGrantee, permissions: readonly AccessPermission[], shape: PrefixShape, label: string): void {
  const refused = permissions.filter((permission) => !PROTECTED_PERMISSIONS.includes(permission));
  if (refused.length > 0) {
    throw new AccessRuleError(
      `${label}: "${grantee}" may only read and list a prefix with {identityId} (a protected folder), not ${refused.join(' or ')}: that would let anyone change another identity's files. Grant write and delete to "owner" (or "guestOwner").`,
    );
  }
  if (!shape.identityIdIsLast) {
    throw new AccessRuleError(`${label}: a protected prefix (read or list for "${grantee}") must end with {identityId}/, e.g. "protected/{identityId}/"; IAM cannot confine a wildcard to a folder below the identity segment.`);
  }
  if (grantee === 'guests' && shape.tagKeys.length > 0) {
    throw new AccessRuleError(`${label}: "guests" cannot be granted a prefix with {tag:...}: guest identities carry no principal tags, so the grant would never apply.`);
  }
}

/**
 * A protected rule grants read on `<before>*\/*`, so no other rule may reach into that area (its
 * files would be readable by everyone) or cover it (a listing there would enumerate identities).
 * Segments are compared with placeholders matching any one segment.
 */
function refuseRulesInsideProtectedFolders(rules: readonly AccessRule[], index: number, shape: PrefixShape): void {
  const area = [...splitSegments(shape.beforeIdentityId!), IDENTITY_ID_PLACEHOLDER];
  rules.forEach((other, otherIndex) => {
    if (otherIndex === index) return;
    const segments = splitSegments(other.prefix);
    const length = Math.min(area.length, segments.length);
    for (let position = 0; position < length; position += 1) {
      const [a, b] = [area[position]!, segments[position]!];
      if (a !== b && !a.startsWith('{') && !b.startsWith('{')) return;
    }
    throw new AccessRuleError(
      `${ruleLabel(other, otherIndex)} overlaps the protected folders of ${ruleLabel(rules[index]!, index)}: everyone granted read there would reach it, or a listing would reveal identity ids. Give it a prefix outside "${shape.beforeIdentityId}".`,
    );
  });
}

function splitSegments(prefix: string): string[] {
  return prefix.split('/').filter((segment) => segment.length > 0);
}
