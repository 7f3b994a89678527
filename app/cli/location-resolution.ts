import { permissionsAt, type AccessPermission, type StorageLocation } from '../library/index.ts';
import { CliUsageError } from './cli-usage-error.ts';
import { formatRemotePath, type RemotePath } from './location-path.ts';

/** A typed path matched to one of the signed-in identity's locations. */
export interface ResolvedPath {
  location: StorageLocation;
  key: string;
  /** `location:key`, as the user can type it again. */
  display: string;
}

/** The location a path names, or the own one for a bare path; an unknown name lists the ones there are. */
export function resolveLocation(name: string | undefined, locations: readonly StorageLocation[]): StorageLocation {
  const found = name === undefined ? locations.find((location) => location.isDefault) : locations.find((location) => location.name === name);
  if (found) return found;
  const names = locations.map((location) => location.name).join(', ');
  if (name === undefined) throw new CliUsageError('UnknownLocation', `You have no own location to put a bare path in; name one of yours: ${names || '(none)'}.`);
  throw new CliUsageError('UnknownLocation', `No location "${name}" for you. Your locations: ${names || '(none)'} (see "scoped-storage locations").`);
}

/**
 * In a protected location every key begins with an identity's folder (`<identityId>/`). Its top
 * cannot be listed (that would enumerate identities; IAM refuses it too), so the user is told
 * where their own folder is and how to find someone else's.
 */
function checkIdentityFolder(location: StorageLocation, key: string, typed: string): void {
  if (location.kind !== 'protected') return;
  const slash = key.indexOf('/');
  const identitySegment = slash < 0 ? key : key.slice(0, slash);
  if (slash > 0 && identitySegment.includes(':')) return;
  const own = location.ownFolder ? ` Yours is ${formatRemotePath(location.name, `${location.ownFolder.identityId}/`)}.` : '';
  throw new CliUsageError(
    'IdentityMissing',
    `"${typed}": keys in ${location.name}: begin with an identity's folder, ${location.name}:<identityId>/...${own} "scoped-storage lookup <userId>" finds another user's identity id.`,
  );
}

export function resolvePath(path: RemotePath, locations: readonly StorageLocation[], typed: string): ResolvedPath {
  const location = resolveLocation(path.location, locations);
  checkIdentityFolder(location, path.key, typed);
  return { location, key: path.key, display: formatRemotePath(location.name, path.key) };
}

/**
 * The message for a request S3 refused: which permission it needed and what this identity has
 * there, from the published rules. The server decided; this only explains.
 */
export function describeDenial(path: ResolvedPath, needed: AccessPermission): string {
  const granted = permissionsAt(path.location, path.key);
  const rights = granted.length > 0 ? granted.join(', ') : 'nothing';
  if (granted.includes(needed)) return `Access denied for ${path.display}: the storage service refused to ${needed} there.`;
  return `Access denied: you may not ${needed} in ${path.display} (${path.location.name}: allows you ${rights}).`;
}
