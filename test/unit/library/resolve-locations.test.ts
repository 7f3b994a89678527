import { describe, expect, it } from 'vitest';
import { isValidTagSegment, resolveLocations } from '../../../app/library/resolve-locations.ts';
import type { LocationIdentity, PublishedAccessRule } from '../../../app/library/storage-location.ts';

const ALL = ['read', 'write', 'delete', 'list'] as const;
const ALICE = 'us-east-1:11111111-1111-4111-8111-111111111111';

/** The defaults with guests allowed, as docs/locations.md lists them. */
const DEFAULT_RULES: PublishedAccessRule[] = [
  { name: 'private', prefix: 'users/{identityId}/', grants: { owner: [...ALL], guestOwner: [...ALL] } },
  { name: 'protected', prefix: 'protected/{identityId}/', grants: { owner: [...ALL], authenticated: ['read', 'list'] } },
  { name: 'shared', prefix: 'shared/', grants: { authenticated: ['read', 'list'] } },
  { name: 'team', prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: [...ALL] } },
  { name: 'public', prefix: 'public/{identityId}/', grants: { owner: [...ALL], authenticated: ['read', 'list'], guests: ['read', 'list'] } },
];

const signedIn = (principalTags: Record<string, string> = {}): LocationIdentity => ({ identityId: ALICE, isGuest: false, principalTags });
const guest: LocationIdentity = { identityId: ALICE, isGuest: true, principalTags: {} };

describe('resolveLocations', () => {
  it('a signed-in member of a tenant gets every default location, the own one as default', () => {
    expect(resolveLocations(DEFAULT_RULES, signedIn({ tenant: 'acme' }))).toEqual([
      { name: 'private', kind: 'private', prefix: `users/${ALICE}/`, permissions: [...ALL], isDefault: true },
      { name: 'protected', kind: 'protected', prefix: 'protected/', permissions: ['read', 'list'], ownFolder: { identityId: ALICE, permissions: [...ALL] }, isDefault: false },
      { name: 'shared', kind: 'shared', prefix: 'shared/', permissions: ['read', 'list'], isDefault: false },
      { name: 'team', kind: 'tenant', prefix: 'tenants/acme/', permissions: [...ALL], tag: { key: 'tenant', value: 'acme' }, isDefault: false },
      { name: 'public', kind: 'protected', prefix: 'public/', permissions: ['read', 'list'], ownFolder: { identityId: ALICE, permissions: [...ALL] }, isDefault: false },
    ]);
  });

  it('without a tenant tag there is no team location', () => {
    expect(resolveLocations(DEFAULT_RULES, signedIn()).map((location) => location.name)).toEqual(['private', 'protected', 'shared', 'public']);
  });

  it('tag values that are not one valid path segment are skipped, never substituted', () => {
    for (const tenant of ['', '.', '..', 'acme/eu', 'a*b', 'a{b}', 'x'.repeat(257), 'tab\there', '$(x)']) {
      const names = resolveLocations(DEFAULT_RULES, signedIn({ tenant })).map((location) => location.name);
      expect(names, JSON.stringify(tenant)).not.toContain('team');
    }
    expect(resolveLocations(DEFAULT_RULES, signedIn({ tenant: 'Acme Corp_1.eu=+-@:' })).find((location) => location.name === 'team')?.prefix).toBe('tenants/Acme Corp_1.eu=+-@:/');
  });

  it('a guest gets its own private folder (guestOwner) and read/list on public, nothing signed-in users share', () => {
    expect(resolveLocations(DEFAULT_RULES, { ...guest, principalTags: { tenant: 'acme' } })).toEqual([
      { name: 'private', kind: 'private', prefix: `users/${ALICE}/`, permissions: [...ALL], isDefault: true },
      { name: 'public', kind: 'protected', prefix: 'public/', permissions: ['read', 'list'], isDefault: false },
    ]);
  });

  it('a protected location has an own folder only where the owner grantee that applies (owner, or guestOwner for a guest) has grants', () => {
    const rules: PublishedAccessRule[] = [
      { name: 'gallery', prefix: 'gallery/{identityId}/', grants: { guestOwner: ['read', 'write', 'list'], guests: ['read', 'list'], authenticated: ['read', 'list'] } },
      { name: 'board', prefix: 'board/{identityId}/', grants: { owner: [], authenticated: ['read'] } },
    ];
    const [guestGallery, guestBoard] = [resolveLocations(rules, guest)[0], resolveLocations(rules, guest)[1]];
    expect(guestGallery).toMatchObject({ name: 'gallery', ownFolder: { identityId: ALICE, permissions: ['read', 'write', 'list'] } });
    expect(guestBoard).toBeUndefined();
    const [userGallery, userBoard] = resolveLocations(rules, signedIn());
    expect(userGallery).toMatchObject({ name: 'gallery', permissions: ['read', 'list'] });
    expect(userGallery).not.toHaveProperty('ownFolder');
    expect(userBoard).toMatchObject({ name: 'board', permissions: ['read'] });
    expect(userBoard).not.toHaveProperty('ownFolder');
  });

  it('without guestOwner a guest has no default location', () => {
    const rules: PublishedAccessRule[] = [{ name: 'private', prefix: 'users/{identityId}/', grants: { owner: [...ALL] } }, DEFAULT_RULES[4]!];
    const locations = resolveLocations(rules, guest);
    expect(locations.map((location) => location.name)).toEqual(['public']);
    expect(locations.some((location) => location.isDefault)).toBe(false);
  });

  it('an {identityId} rule whose broad grant does not apply to this identity is private to it', () => {
    const rules: PublishedAccessRule[] = [{ name: 'drop', prefix: 'drop/{identityId}/', grants: { owner: ['write'], guests: ['read'] } }];
    expect(resolveLocations(rules, signedIn())).toEqual([{ name: 'drop', kind: 'private', prefix: `drop/${ALICE}/`, permissions: ['write'], isDefault: true }]);
  });

  it('only the first private location is the default', () => {
    const rules: PublishedAccessRule[] = [
      { name: 'inbox', prefix: 'inbox/{identityId}/', grants: { owner: ['read'] } },
      { name: 'private', prefix: 'users/{identityId}/', grants: { owner: [...ALL] } },
    ];
    expect(resolveLocations(rules, signedIn()).map((location) => [location.name, location.isDefault])).toEqual([
      ['inbox', true],
      ['private', false],
    ]);
  });

  it('rules whose grants reach nobody of this kind are left out; permissions come in canonical order, once', () => {
    const rules: PublishedAccessRule[] = [
      { name: 'lobby', prefix: 'lobby/', grants: { guests: ['list', 'read'] } },
      { name: 'board', prefix: 'board/', grants: { authenticated: ['list', 'read', 'list'] as never } },
    ];
    expect(resolveLocations(rules, signedIn()).map((location) => [location.name, location.permissions])).toEqual([['board', ['read', 'list']]]);
    expect(resolveLocations(rules, guest).map((location) => [location.name, location.permissions])).toEqual([['lobby', ['read', 'list']]]);
  });

  it('several tags and nested literals resolve together; one missing tag drops the rule', () => {
    const rules: PublishedAccessRule[] = [{ name: 'region', prefix: 'orgs/{tag:tenant}/regions/{tag:region}/', grants: { tenantMembers: ['read'] } }];
    expect(resolveLocations(rules, signedIn({ tenant: 'acme', region: 'eu' }))[0]).toMatchObject({ prefix: 'orgs/acme/regions/eu/', tag: { key: 'tenant', value: 'acme' } });
    expect(resolveLocations(rules, signedIn({ tenant: 'acme' }))).toEqual([]);
    expect(resolveLocations(rules, { ...guest, principalTags: { tenant: 'acme', region: 'eu' } })).toEqual([]);
  });

  it('a malformed prefix (a hand-edited outputs file) resolves to nothing', () => {
    for (const prefix of ['users/{identityId}', 'users/{identityId}x/', '/shared/', 'a/../b/', 'a//b/', 'x*/']) {
      expect(resolveLocations([{ name: 'x', prefix, grants: { owner: [...ALL], authenticated: ['read'] } }], signedIn()), prefix).toEqual([]);
    }
  });

  it('isValidTagSegment', () => {
    expect(isValidTagSegment('acme')).toBe(true);
    expect(isValidTagSegment(undefined)).toBe(false);
    expect(isValidTagSegment(42)).toBe(false);
    expect(isValidTagSegment('a/b')).toBe(false);
  });
});
