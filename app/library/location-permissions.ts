import { identityFolderOf } from './object-keys.ts';
import { StorageError } from './storage-errors.ts';
import type { AccessPermission, StorageLocation } from './storage-location.ts';

/** What the identity may do at a key (or listing prefix) of a location: its own folder's rights in a protected one. */
export function permissionsAt(location: StorageLocation, relativeKey: string | undefined): AccessPermission[] {
  if (location.kind === 'protected' && location.ownFolder && relativeKey !== undefined && identityFolderOf(relativeKey) === location.ownFolder.identityId) {
    return location.ownFolder.permissions;
  }
  return location.permissions;
}

const VERBS: Record<AccessPermission, string> = { read: 'reading', write: 'writing', delete: 'deleting', list: 'listing' };

/**
 * Refuses, before anything is sent, an operation the resolved rules do not grant (IAM would refuse
 * it too; this says why in the location's terms).
 */
export function requirePermission(location: StorageLocation, relativeKey: string | undefined, permission: AccessPermission): void {
  const permissions = permissionsAt(location, relativeKey);
  if (permissions.includes(permission)) return;
  const where = relativeKey ? `${location.name}:${relativeKey}` : `the location "${location.name}"`;
  const allowed = permissions.length > 0 ? `allows only ${permissions.join(', ')}` : 'allows nothing';
  const ownFolder =
    location.kind === 'protected' && location.ownFolder && location.ownFolder.permissions.includes(permission)
      ? ` (in your own folder "${location.ownFolder.identityId}/" you may)`
      : '';
  throw new StorageError('InvalidLocation', `${VERBS[permission]} ${where} is not allowed: the location "${location.name}" ${allowed} there${ownFolder}.`);
}
