import { describe, expect, it } from 'vitest';
import { permissionsAt, requirePermission } from '../../../app/library/location-permissions.ts';
import { isIdentityId, toLocationKey, toLocationListingPrefix } from '../../../app/library/object-keys.ts';
import { StorageError } from '../../../app/library/storage-errors.ts';
import type { StorageLocation } from '../../../app/library/storage-location.ts';

const ALICE = 'us-east-1:11111111-1111-4111-8111-111111111111';
const BOB = 'eu-west-2:22222222-2222-4222-8222-222222222222';
const PRIVATE: StorageLocation = { name: 'private', kind: 'private', prefix: `users/${ALICE}/`, permissions: ['read', 'write', 'delete', 'list'], isDefault: true };
const SHARED: StorageLocation = { name: 'shared', kind: 'shared', prefix: 'shared/', permissions: ['read', 'list'], isDefault: false };
const PROTECTED: StorageLocation = {
  name: 'protected',
  kind: 'protected',
  prefix: 'protected/',
  permissions: ['read', 'list'],
  ownFolder: { identityId: ALICE, permissions: ['read', 'write', 'delete', 'list'] },
  isDefault: false,
};

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return (error as StorageError).code;
  }
  return undefined;
}

describe('keys in locations', () => {
  it('builds keys under the location prefix; folder paths may end with "/"', () => {
    expect(toLocationKey(PRIVATE, 'a/b.txt')).toBe(`users/${ALICE}/a/b.txt`);
    expect(toLocationKey(SHARED, 'docs/')).toBe('shared/docs/');
    expect(toLocationKey(SHARED, 'ünï cödé/file name.txt')).toBe('shared/ünï cödé/file name.txt');
  });

  it('refuses keys that would leave the location or confuse URLs', () => {
    for (const key of ['', '/etc/passwd', '.', '..', '../x', 'a/../../x', 'a/./b', 'a/..', 'bad\u0000key', 'tab\tkey', 'del\u007fkey', 42 as unknown as string]) {
      expect(codeOf(() => toLocationKey(SHARED, key)), JSON.stringify(key)).toBe('InvalidKey');
    }
  });

  it('counts the 1024-byte limit with the prefix, in UTF-8 bytes', () => {
    const room = 1024 - 'shared/'.length;
    expect(toLocationKey(SHARED, 'a'.repeat(room))).toHaveLength(1024);
    expect(codeOf(() => toLocationKey(SHARED, 'a'.repeat(room + 1)))).toBe('InvalidKey');
    expect(codeOf(() => toLocationKey(SHARED, 'é'.repeat(Math.floor(room / 2) + 1)))).toBe('InvalidKey');
    expect(codeOf(() => toLocationKey(PRIVATE, 'a'.repeat(1024 - PRIVATE.prefix.length + 1)))).toBe('InvalidKey');
  });

  it('protected keys begin with a whole, valid identity id', () => {
    expect(toLocationKey(PROTECTED, `${BOB}/photo.jpg`)).toBe(`protected/${BOB}/photo.jpg`);
    for (const key of ['photo.jpg', `${BOB}`, `${BOB}x/photo.jpg`, 'us-east-1:not-a-uuid/photo.jpg', `/${BOB}/a`, `${BOB.toUpperCase()}/a`]) {
      expect(codeOf(() => toLocationKey(PROTECTED, key)), key).toBe('InvalidKey');
    }
    expect(isIdentityId(ALICE)).toBe(true);
    expect(isIdentityId('us-gov-west-1:22222222-2222-4222-8222-222222222222')).toBe(true);
    expect(isIdentityId('us-east-1')).toBe(false);
  });

  it('listing prefixes: the whole location, but never a protected root or a partial identity', () => {
    expect(toLocationListingPrefix(SHARED, undefined)).toBe('shared/');
    expect(toLocationListingPrefix(SHARED, 'do')).toBe('shared/do');
    expect(toLocationListingPrefix(PROTECTED, `${BOB}/`)).toBe(`protected/${BOB}/`);
    expect(codeOf(() => toLocationListingPrefix(PROTECTED, undefined))).toBe('InvalidLocation');
    expect(codeOf(() => toLocationListingPrefix(PROTECTED, ''))).toBe('InvalidLocation');
    for (const prefix of ['us-east', BOB, `${BOB.slice(0, -1)}/`]) expect(codeOf(() => toLocationListingPrefix(PROTECTED, prefix)), prefix).toBe('InvalidKey');
    expect(codeOf(() => toLocationListingPrefix(SHARED, '../'))).toBe('InvalidKey');
  });
});

describe('permissions in locations', () => {
  it('a protected location gives the own folder its own rights, others the broad ones', () => {
    expect(permissionsAt(PROTECTED, `${ALICE}/a.txt`)).toEqual(['read', 'write', 'delete', 'list']);
    expect(permissionsAt(PROTECTED, `${BOB}/a.txt`)).toEqual(['read', 'list']);
    // Prefix confusion: an id that merely starts like the own one is someone else's folder.
    expect(permissionsAt(PROTECTED, `${ALICE}0/a.txt`)).toEqual(['read', 'list']);
  });

  it('refuses what the location does not allow, naming the location and what it allows', () => {
    expect(() => requirePermission(SHARED, 'a.txt', 'read')).not.toThrow();
    let error: StorageError | undefined;
    try {
      requirePermission(SHARED, 'a.txt', 'write');
    } catch (caught) {
      error = caught as StorageError;
    }
    expect(error?.code).toBe('InvalidLocation');
    expect(error?.message).toBe('writing shared:a.txt is not allowed: the location "shared" allows only read, list there.');
    expect(codeOf(() => requirePermission(PROTECTED, `${BOB}/a.txt`, 'delete'))).toBe('InvalidLocation');
    expect(codeOf(() => requirePermission(PROTECTED, `${ALICE}/a.txt`, 'delete'))).toBeUndefined();
  });
});
