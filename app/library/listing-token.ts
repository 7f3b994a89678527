import { StorageError } from './storage-errors.ts';

export const NOT_A_LISTING_TOKEN = 'nextToken is not a token this library made; pass the nextToken of the previous page unchanged.';

/** What a listing page's `nextToken` is bound to: one location, one full prefix, one mode. */
export interface ListingScope {
  location: string;
  prefix: string;
  recursive: boolean;
}

interface ListingTokenContents {
  v: 2;
  l: string;
  p: string;
  r: boolean;
  /** S3's continuation token. */
  c: string;
  /** A check over the fields above, so that a token edited by hand is refused here, not sent to S3. */
  s: string;
}

/**
 * FNV-1a (32 bits) over the token's fields. Not a secret or a signature (IAM decides what may be
 * listed); it tells a token this library made from one edited or made up by hand.
 */
function check(location: string, prefix: string, recursive: boolean, continuationToken: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(JSON.stringify([location, prefix, recursive, continuationToken]))) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** S3's continuation token, wrapped with the listing it continues (base64url JSON; opaque to callers). */
export function encodeListingToken(scope: ListingScope, continuationToken: string): string {
  const contents: ListingTokenContents = { v: 2, l: scope.location, p: scope.prefix, r: scope.recursive, c: continuationToken, s: check(scope.location, scope.prefix, scope.recursive, continuationToken) };
  const bytes = new TextEncoder().encode(JSON.stringify(contents));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The continuation token inside `nextToken`, refused unless it came from the same listing: a token
 * of another folder, location or identity would otherwise continue a listing the caller never asked for.
 */
export function decodeListingToken(scope: ListingScope, nextToken: string): string {
  const contents = parse(nextToken);
  if (!contents) throw new StorageError('InvalidArgument', NOT_A_LISTING_TOKEN);
  if (contents.l !== scope.location || contents.p !== scope.prefix || contents.r !== scope.recursive) {
    throw new StorageError('InvalidArgument', `nextToken belongs to another listing (location "${contents.l}", prefix "${contents.p}"); it continues only the listing that returned it.`);
  }
  return contents.c;
}

function parse(nextToken: string): ListingTokenContents | undefined {
  if (typeof nextToken !== 'string' || !/^[A-Za-z0-9_-]+$/.test(nextToken)) return undefined;
  try {
    const binary = atob(nextToken.replace(/-/g, '+').replace(/_/g, '/'));
    const contents = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (character) => character.charCodeAt(0)))) as Partial<ListingTokenContents>;
    const valid =
      contents.v === 2 &&
      typeof contents.l === 'string' &&
      typeof contents.p === 'string' &&
      typeof contents.r === 'boolean' &&
      typeof contents.c === 'string' &&
      contents.c !== '' &&
      contents.s === check(contents.l, contents.p, contents.r, contents.c);
    return valid ? (contents as ListingTokenContents) : undefined;
  } catch {
    return undefined;
  }
}
