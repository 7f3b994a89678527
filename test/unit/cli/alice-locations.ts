import type { StorageLocation } from '../../../app/library/index.ts';

export const OWN_ID = 'us-east-1:0b6e1c1e-0000-4000-8000-000000000001';

/** The default rules as alice of tenant acme sees them. */
export const ALICE_LOCATIONS: StorageLocation[] = [
  { name: 'private', kind: 'private', prefix: `users/${OWN_ID}/`, permissions: ['read', 'write', 'delete', 'list'], isDefault: true },
  {
    name: 'protected',
    kind: 'protected',
    prefix: 'protected/',
    permissions: ['read', 'list'],
    ownFolder: { identityId: OWN_ID, permissions: ['read', 'write', 'delete', 'list'] },
    isDefault: false,
  },
  { name: 'shared', kind: 'shared', prefix: 'shared/', permissions: ['read', 'list'], isDefault: false },
  { name: 'team', kind: 'tenant', prefix: 'tenants/acme/', permissions: ['read', 'write', 'delete', 'list'], tag: { key: 'tenant', value: 'acme' }, isDefault: false },
];
