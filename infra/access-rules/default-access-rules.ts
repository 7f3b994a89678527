import type { AccessRule } from './access-rule.ts';

/**
 * The layout the stack deploys unless told otherwise: a private prefix per identity, a shared
 * prefix every signed-in identity can read, and a prefix per tenant for its members.
 */
export const DEFAULT_ACCESS_RULES: readonly AccessRule[] = [
  { prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'] } },
  { prefix: 'shared/', grants: { authenticated: ['read', 'list'] } },
  { prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: ['read', 'write', 'delete', 'list'] } },
];
