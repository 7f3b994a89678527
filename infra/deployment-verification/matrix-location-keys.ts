import type { StorageLocation } from '../../app/library/index.ts';

/** A full key as the client library names it: a location and the key relative to its prefix. */
export interface LocationKey {
  location: StorageLocation;
  key: string;
}

/**
 * How a persona names `fullKey` to the library: the location (as resolved for it) with the longest
 * prefix heading the key. Undefined when no location of the persona's reaches the key (another
 * identity's own folder, another tenant, the bucket root): the library cannot even ask for it.
 */
export function locationKeyOf(locations: readonly StorageLocation[], fullKey: string): LocationKey | undefined {
  const heads = locations.filter((location) => fullKey.startsWith(location.prefix)).sort((first, second) => second.prefix.length - first.prefix.length);
  const location = heads[0];
  return location ? { location, key: fullKey.slice(location.prefix.length) } : undefined;
}

/** The folder part of a relative key (`''` for a key at the location's top). */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash + 1);
}
