import { StorageError } from './storage-errors.ts';

const MAX_KEY_BYTES = 1024;

/** The prefix an identity owns under the default access rules. */
export function ownPrefixOf(identityId: string): string {
  return `users/${identityId}/`;
}

/**
 * Builds the full S3 key for a key relative to the identity's own prefix. The library never
 * builds a key outside the prefix (the server-side policy is the guard; this is courtesy and
 * a clear error). `.`/`..` segments are refused because URL handling (share links in browsers)
 * would normalise them away and point somewhere else.
 */
export function toFullKey(prefix: string, relativeKey: string): string {
  if (typeof relativeKey !== 'string' || relativeKey.length === 0) throw new StorageError('InvalidKey', 'A key must be a non-empty string.');
  if (relativeKey.startsWith('/')) throw new StorageError('InvalidKey', `Key "${relativeKey}" must not start with "/": keys are relative to your own folder.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(relativeKey)) throw new StorageError('InvalidKey', 'A key must not contain control characters.');
  if (relativeKey.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new StorageError('InvalidKey', `Key "${relativeKey}" must not contain "." or ".." segments.`);
  }
  const fullKey = prefix + relativeKey;
  if (new TextEncoder().encode(fullKey).length > MAX_KEY_BYTES) throw new StorageError('InvalidKey', `Key "${relativeKey}" is too long (S3 allows ${MAX_KEY_BYTES} bytes including your folder).`);
  return fullKey;
}

/** Validates a listing prefix relative to the own prefix ("" lists everything). */
export function toFullPrefix(prefix: string, relativePrefix: string | undefined): string {
  if (!relativePrefix) return prefix;
  return toFullKey(prefix, relativePrefix);
}

export function toRelativeKey(prefix: string, fullKey: string): string {
  return fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : fullKey;
}
