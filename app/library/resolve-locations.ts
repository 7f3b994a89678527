import { parsePrefixTemplate, type PrefixSegment } from './prefix-template.ts';
import { ACCESS_PERMISSIONS, type AccessGrantee, type AccessPermission, type LocationIdentity, type PublishedAccessRule, type StorageLocation } from './storage-location.ts';

/** AWS's session tag characters, without "/": a tag value fills one whole path segment. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:=+\-@]{1,256}$/u;

/** Whether a principal tag value can fill a `{tag:<key>}` segment (one whole segment, never `.` or `..`). */
export function isValidTagSegment(value: unknown): value is string {
  return typeof value === 'string' && TAG_VALUE.test(value) && value !== '.' && value !== '..';
}

/**
 * The published rules as locations for one identity, in rule order. A rule appears when one of its
 * grants applies to the identity: `owner`/`authenticated`/`tenantMembers` to a signed-in identity,
 * `guestOwner`/`guests` to a guest; a `{tag:k}` rule only when the session has a valid tag `k`.
 * An `{identityId}` rule that also grants `authenticated` or `guests` is a protected location: its
 * prefix stops before the identity segment and keys name the identity folder first; it has an
 * `ownFolder` only when the owner grantee that applies (`owner`, or `guestOwner` for a guest) has
 * grants on the rule. The first
 * private location is the default, where bare paths go.
 */
export function resolveLocations(rules: readonly PublishedAccessRule[], identity: LocationIdentity): StorageLocation[] {
  const locations: StorageLocation[] = [];
  for (const rule of rules) {
    const location = resolveRule(rule, identity);
    if (location) locations.push(location);
  }
  const own = locations.find((location) => location.kind === 'private');
  if (own) own.isDefault = true;
  return locations;
}

function resolveRule(rule: PublishedAccessRule, identity: LocationIdentity): StorageLocation | undefined {
  const segments = parsePrefixTemplate(rule.prefix);
  if (typeof segments === 'string') return undefined;
  const tagKeys = segments.flatMap((segment) => ('tagKey' in segment ? [segment.tagKey] : []));
  if (tagKeys.some((key) => !isValidTagSegment(identity.principalTags[key]))) return undefined;
  const usesIdentityId = segments.some((segment) => 'identityId' in segment);
  const granted = (...grantees: AccessGrantee[]) => union(grantees.map((grantee) => rule.grants[grantee] ?? []));
  const base = { name: rule.name, isDefault: false };

  if (usesIdentityId) {
    const own = identity.isGuest ? granted('guestOwner') : granted('owner');
    const everyone = identity.isGuest ? granted('guests') : granted('authenticated');
    if (everyone.length > 0) {
      const identitySegment = segments.findIndex((segment) => 'identityId' in segment);
      // Only an owner grant makes a folder "yours": a guest that may only read and list has none of its own.
      return {
        ...base,
        kind: 'protected',
        prefix: fill(segments.slice(0, identitySegment), identity),
        permissions: everyone,
        ...(own.length > 0 ? { ownFolder: { identityId: identity.identityId, permissions: union([own, everyone]) } } : {}),
      };
    }
    if (own.length === 0) return undefined;
    return { ...base, kind: 'private', prefix: fill(segments, identity), permissions: own };
  }
  if (tagKeys.length > 0) {
    const members = identity.isGuest ? [] : granted('tenantMembers');
    if (members.length === 0) return undefined;
    return { ...base, kind: 'tenant', prefix: fill(segments, identity), permissions: members, tag: { key: tagKeys[0]!, value: identity.principalTags[tagKeys[0]!]! } };
  }
  const everyone = identity.isGuest ? granted('guests') : granted('authenticated');
  if (everyone.length === 0) return undefined;
  return { ...base, kind: 'shared', prefix: fill(segments, identity), permissions: everyone };
}

function fill(segments: PrefixSegment[], identity: LocationIdentity): string {
  return segments.map((segment) => ('literal' in segment ? segment.literal : 'tagKey' in segment ? identity.principalTags[segment.tagKey] : identity.identityId) + '/').join('');
}

/** Permissions in their canonical order (read, write, delete, list), each once. */
function union(lists: readonly (readonly AccessPermission[])[]): AccessPermission[] {
  const present = new Set(lists.flat());
  return ACCESS_PERMISSIONS.filter((permission) => present.has(permission));
}
