/**
 * The declarative access rules admins edit: per key prefix, who may do what. They compile to
 * least-privilege IAM statements (see compile-access-rules.ts).
 */

/** What a grantee may do under a prefix. */
export type AccessPermission = 'read' | 'write' | 'delete' | 'list';

export const ACCESS_PERMISSIONS: readonly AccessPermission[] = ['read', 'write', 'delete', 'list'];

/**
 * Who a grant is for.
 * - `owner`: a signed-in identity, under the prefix whose `{identityId}` is its own identity id.
 * - `guestOwner`: a guest (unauthenticated) identity, under the prefix whose `{identityId}` is its own id.
 * - `authenticated`: any signed-in identity. On a prefix with `{identityId}` (the protected kind):
 *   read and list only, in every identity's folder, reached only by naming the identity id.
 * - `guests`: any guest identity; on a prefix with `{identityId}`, read and list only, as above.
 * - `tenantMembers`: signed-in identities whose principal tag fills the prefix's `{tag:<key>}`.
 */
export type AccessGrantee = 'owner' | 'guestOwner' | 'authenticated' | 'guests' | 'tenantMembers';

export const ACCESS_GRANTEES: readonly AccessGrantee[] = ['owner', 'guestOwner', 'authenticated', 'guests', 'tenantMembers'];

export interface AccessRule {
  /**
   * The location's name: what clients show and the CLI uses (`shared:handbook.pdf`).
   * `^[a-z][a-z0-9-]{0,31}$`, unique among the rules.
   * @default the first literal segment of the prefix, lower-cased (`shared/` -> `shared`)
   */
  readonly name?: string;
  /**
   * Key prefix the rule covers, always ending in `/`. May contain `{identityId}` (the caller's
   * Cognito identity id) and `{tag:<key>}` (the caller's principal tag), each followed by `/`.
   * Examples: `users/{identityId}/`, `shared/`, `tenants/{tag:tenant}/`.
   */
  readonly prefix: string;
  /** Permissions per grantee. */
  readonly grants: Readonly<Partial<Record<AccessGrantee, readonly AccessPermission[]>>>;
}
