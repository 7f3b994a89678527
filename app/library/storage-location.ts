/**
 * Locations: the deployment's access rules as the client sees them (docs/locations.md). The stack
 * publishes its rules in the outputs; the library resolves them for the current identity.
 */

/** What a grantee may do under a prefix. */
export type AccessPermission = 'read' | 'write' | 'delete' | 'list';

export const ACCESS_PERMISSIONS: readonly AccessPermission[] = ['read', 'write', 'delete', 'list'];

/** Who a grant is for (the stack's AccessGrantee). */
export type AccessGrantee = 'owner' | 'guestOwner' | 'authenticated' | 'guests' | 'tenantMembers';

export const ACCESS_GRANTEES: readonly AccessGrantee[] = ['owner', 'guestOwner', 'authenticated', 'guests', 'tenantMembers'];

/** One access rule as the outputs publish it. */
export interface PublishedAccessRule {
  /** `^[a-z][a-z0-9-]{0,31}$`, unique. */
  name: string;
  /** A template: `users/{identityId}/`, `shared/`, `tenants/{tag:tenant}/`. */
  prefix: string;
  grants: Partial<Record<AccessGrantee, AccessPermission[]>>;
}

export type LocationKind = 'private' | 'protected' | 'shared' | 'tenant';

export interface StorageLocation {
  /** 'private', 'shared', 'team', 'protected', 'public', or an admin's name. */
  name: string;
  /** The rule's kind as this identity sees it. */
  kind: LocationKind;
  /** Full S3 prefix keys of this location start with: 'users/<id>/', 'shared/', 'tenants/acme/', 'protected/'. */
  prefix: string;
  /** What this identity may do under `prefix` (for a protected location: in other identities' folders). */
  permissions: AccessPermission[];
  /** Protected locations only: keys begin with an identity id; this identity's own folder and rights there. */
  ownFolder?: { identityId: string; permissions: AccessPermission[] };
  /** Tenant locations: the tag value the prefix was resolved with ('acme'). */
  tag?: { key: string; value: string };
  /** True for the identity's own location (private for a signed-in user or a guest): where bare paths go. */
  isDefault: boolean;
}

/** A location by name, or as `client.locations()` returned it; omitted means the own location. */
export type LocationReference = string | StorageLocation;

/** Whom the rules are resolved for. */
export interface LocationIdentity {
  identityId: string;
  isGuest: boolean;
  /** The principal tags the token service set on the session (`{}` for guests). */
  principalTags: Record<string, string>;
}
