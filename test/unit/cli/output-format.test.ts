import { describe, expect, it } from 'vitest';
import { formatBytes, formatListing, formatLocations, formatProperties, formatTable, locationJson, propertiesJson } from '../../../app/cli/output-format.ts';
import { ALICE_LOCATIONS, OWN_ID } from './alice-locations.ts';

const LOCATIONS = ALICE_LOCATIONS;
const MODIFIED = new Date('2025-03-01T10:00:00.000Z');

describe('tables', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(formatTable(['A', 'BB', 'C'], [['long', 'x', 'y'], ['', 'yyy', 'z']])).toBe('A     BB   C\nlong  x    y\n      yyy  z');
  });
});

describe('byte counts', () => {
  it('in binary units above 1 KiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(3000)).toBe('2.9 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3072.0 TiB');
  });
});

describe('locations', () => {
  it('a table with the default marked and a protected location\'s own folder on a row of its own', () => {
    expect(formatLocations(LOCATIONS).split('\n')).toEqual([
      'LOCATION                                                           PREFIX                                                     PERMISSIONS',
      `private: (default)                                                 users/${OWN_ID}/      read, write, delete, list`,
      'protected:                                                         protected/                                                 read, list',
      `protected:${OWN_ID}/ (yours)  protected/${OWN_ID}/  read, write, delete, list`,
      'shared:                                                            shared/                                                    read, list',
      'team:                                                              tenants/acme/                                              read, write, delete, list',
    ]);
    expect(formatLocations([])).toBe('(no locations)');
  });

  it('--json carries name, prefix and permissions, and the own folder and tag where they apply', () => {
    expect(LOCATIONS.map(locationJson)).toEqual([
      { name: 'private', prefix: `users/${OWN_ID}/`, permissions: ['read', 'write', 'delete', 'list'], kind: 'private', isDefault: true },
      { name: 'protected', prefix: 'protected/', permissions: ['read', 'list'], kind: 'protected', isDefault: false, ownFolder: { identityId: OWN_ID, permissions: ['read', 'write', 'delete', 'list'] } },
      { name: 'shared', prefix: 'shared/', permissions: ['read', 'list'], kind: 'shared', isDefault: false },
      { name: 'team', prefix: 'tenants/acme/', permissions: ['read', 'write', 'delete', 'list'], kind: 'tenant', isDefault: false, tag: { key: 'tenant', value: 'acme' } },
    ]);
  });
});

describe('folder listings', () => {
  it('folders first with a trailing slash, then files, names relative to the folder listed', () => {
    const text = formatListing(
      {
        folders: ['plans/2025/', 'plans/archive'],
        files: [
          { key: 'plans/q3.xlsx', size: 3000, lastModified: MODIFIED, etag: '"a"' },
          { key: 'plans/notes.txt', size: 12, lastModified: MODIFIED, etag: '"b"' },
        ],
      },
      'plans/',
    );
    expect(text.split('\n')).toEqual([
      '                                2025/',
      '                                archive/',
      '2025-03-01T10:00:00.000Z  3000  q3.xlsx',
      '2025-03-01T10:00:00.000Z    12  notes.txt',
    ]);
  });

  it('says when a folder is empty', () => {
    expect(formatListing({ folders: [], files: [] }, '')).toBe('(empty)');
  });
});

describe('file properties', () => {
  const properties = {
    key: 'plans/q3.xlsx',
    size: 3000,
    contentType: 'application/vnd.ms-excel',
    lastModified: MODIFIED,
    etag: '"9b2cf535f27731c974343645a3985328"',
    checksum: 'CRC64NVME:kKyk9L7Th4k=',
    checksumType: 'FULL_OBJECT' as const,
    metadata: { author: 'alice', project: 'q3' },
  };

  it('one per line, metadata indented', () => {
    expect(formatProperties('team:plans/q3.xlsx', properties).split('\n')).toEqual([
      'path:       team:plans/q3.xlsx',
      'size:       3000 bytes (2.9 KiB)',
      'type:       application/vnd.ms-excel',
      'modified:   2025-03-01T10:00:00.000Z',
      'etag:       "9b2cf535f27731c974343645a3985328"',
      'checksum:   CRC64NVME:kKyk9L7Th4k=',
      'metadata:',
      '  author:   alice',
      '  project:  q3',
    ]);
  });

  it('a checksum of the parts says so', () => {
    expect(formatProperties('a', { ...properties, checksum: 'CRC32:q2Hr4Q==-3', checksumType: 'COMPOSITE' })).toContain('checksum:   CRC32:q2Hr4Q==-3 (of the parts)');
  });

  it('dashes for what is absent; --json with the path typed and an ISO time', () => {
    const bare = { key: 'a', size: 5, lastModified: MODIFIED, etag: '"e"', metadata: {} };
    expect(formatProperties('a', bare).split('\n')).toEqual([
      'path:      a',
      'size:      5 bytes',
      'type:      -',
      'modified:  2025-03-01T10:00:00.000Z',
      'etag:      "e"',
      'checksum:  -',
      'metadata:  -',
    ]);
    expect(propertiesJson('private:a', bare)).toEqual({ path: 'private:a', key: 'a', size: 5, lastModified: '2025-03-01T10:00:00.000Z', etag: '"e"', metadata: {} });
  });
});
