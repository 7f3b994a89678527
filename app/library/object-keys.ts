import { StorageError } from './storage-errors.ts';
import type { StorageLocation } from './storage-location.ts';

const MAX_KEY_BYTES = 1024;
/** A Cognito identity id: `<region>:<uuid>`. */
const IDENTITY_ID = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isIdentityId(value: string): boolean {
  return IDENTITY_ID.test(value);
}

/**
 * Builds the full S3 key for a key relative to a prefix. The library never builds a key outside
 * the prefix (the server-side policy is the guard; this is courtesy and a clear error). `.`/`..`
 * segments are refused because URL handling (share links in browsers) would normalise them away
 * and point somewhere else. A key may end with `/` (a folder marker).
 */
export function toFullKey(prefix: string, relativeKey: string, where = 'the location'): string {
  if (typeof relativeKey !== 'string' || relativeKey.length === 0) throw new StorageError('InvalidKey', 'A key must be a non-empty string.');
  if (relativeKey.startsWith('/')) throw new StorageError('InvalidKey', `Key "${relativeKey}" must not start with "/": keys are relative to ${where}.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(relativeKey)) throw new StorageError('InvalidKey', 'A key must not contain control characters.');
  if (relativeKey.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new StorageError('InvalidKey', `Key "${relativeKey}" must not contain "." or ".." segments.`);
  }
  const fullKey = prefix + relativeKey;
  if (new TextEncoder().encode(fullKey).length > MAX_KEY_BYTES) {
    throw new StorageError('InvalidKey', `Key "${relativeKey}" is too long (S3 allows ${MAX_KEY_BYTES} bytes including the prefix ${prefix}).`);
  }
  return fullKey;
}

/** The full key of an object (or a folder path ending with `/`) in a location. */
export function toLocationKey(location: StorageLocation, relativeKey: string): string {
  const fullKey = toFullKey(location.prefix, relativeKey, `the location "${location.name}"`);
  if (location.kind === 'protected') requireIdentityFolder(location, relativeKey, 'A key');
  return fullKey;
}

/**
 * The full listing prefix for a prefix relative to a location ("" or absent: the whole location).
 * In a protected location a listing must stay inside one identity's folder: IAM refuses listing
 * `protected/` or `protected/us-east` (which would enumerate identities), so it is refused here first.
 */
export function toLocationListingPrefix(location: StorageLocation, relativePrefix: string | undefined): string {
  if (location.kind === 'protected') {
    if (!relativePrefix) {
      throw new StorageError(
        'InvalidLocation',
        `The protected location "${location.name}" cannot be listed as a whole (that would enumerate identities); list an identity's folder, e.g. "${location.ownFolder?.identityId ?? '<identityId>'}/".`,
      );
    }
    requireIdentityFolder(location, relativePrefix, 'A listing');
  }
  if (!relativePrefix) return location.prefix;
  return toFullKey(location.prefix, relativePrefix, `the location "${location.name}"`);
}

/** The key relative to `prefix`, as callers named it. */
export function toRelativeKey(prefix: string, fullKey: string): string {
  return fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : fullKey;
}

/** The identity folder a key of a protected location is in, or undefined when it names none. */
export function identityFolderOf(relativeKey: string): string | undefined {
  const slash = relativeKey.indexOf('/');
  return slash > 0 ? relativeKey.slice(0, slash) : undefined;
}

function requireIdentityFolder(location: StorageLocation, relativeKey: string, what: string): void {
  const folder = identityFolderOf(relativeKey);
  if (folder === undefined || !isIdentityId(folder)) {
    throw new StorageError(
      'InvalidKey',
      `${what} in the protected location "${location.name}" must begin with an identity id and "/" (e.g. "${location.ownFolder?.identityId ?? 'us-east-1:<uuid>'}/photo.jpg"), got "${relativeKey}".`,
    );
  }
}
