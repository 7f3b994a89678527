import type { StorageLocation } from '../library/index.ts';

const LABELS: Record<string, string> = { private: 'My files', protected: 'Protected', shared: 'Shared', public: 'Public' };

/** What the location picker calls a location: `Team acme` for a tenant's, the admin's name for others. */
export function locationLabel(location: StorageLocation): string {
  if (location.kind === 'tenant') return `Team ${location.tag?.value ?? location.name}`;
  return LABELS[location.name] ?? location.name;
}

/**
 * Where browsing a location starts: its root, except in a protected location, whose root lists
 * every identity's folder and is refused by IAM; there it is the identity's own folder, if any.
 */
export function startPathOf(location: StorageLocation): string {
  if (location.kind !== 'protected') return '';
  return location.ownFolder ? `${location.ownFolder.identityId}/` : '';
}
