import type { AccessRule } from './access-rule.ts';

const ALL = ['read', 'write', 'delete', 'list'] as const;

export interface DefaultAccessRulesOptions {
  /** Guests get their own private folder and read the public folders. @default false */
  allowGuests?: boolean;
}

/**
 * The layout the stack deploys unless told otherwise: a private folder per identity, a protected
 * folder per identity that every signed-in identity reads by naming it, a shared prefix every
 * signed-in identity reads, and a prefix per tenant for its members. With guests: guests own a
 * private folder too, and `public/` folders (written by their signed-in owners) are readable by
 * guests as well.
 */
export function defaultAccessRules(options: DefaultAccessRulesOptions = {}): AccessRule[] {
  const guests = options.allowGuests === true;
  return [
    { name: 'private', prefix: 'users/{identityId}/', grants: { owner: [...ALL], ...(guests ? { guestOwner: [...ALL] } : {}) } },
    { name: 'protected', prefix: 'protected/{identityId}/', grants: { owner: [...ALL], authenticated: ['read', 'list'] } },
    { name: 'shared', prefix: 'shared/', grants: { authenticated: ['read', 'list'] } },
    { name: 'team', prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: [...ALL] } },
    ...(guests ? [{ name: 'public', prefix: 'public/{identityId}/', grants: { owner: [...ALL], authenticated: ['read', 'list'], guests: ['read', 'list'] } } satisfies AccessRule] : []),
  ];
}

/** The default rules without guests (`defaultAccessRules({ allowGuests: false })`). */
export const DEFAULT_ACCESS_RULES: readonly AccessRule[] = defaultAccessRules();
