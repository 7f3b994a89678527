import { StorageError } from './storage-errors.ts';

/** What a listing page's `nextToken` is bound to: one location, one full prefix, one mode. */
export interface ListingScope {
  location: string;
  prefix: string;
  recursive: boolean;
}

interface ListingTokenContents {
  v: 1;
  l: string;
  p: string;
  r: boolean;
  /** S3's continuation token. */
  c: string;
}

/** S3's continuation token, wrapped with the listing it continues (base64url JSON; opaque to callers). */
export function encodeListingToken(scope: ListingScope, continuationToken: string): string {
  const contents: ListingTokenContents = { v: 1, l: scope.location, p: scope.prefix, r: scope.recursive, c: continuationToken };
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
  if (!contents) throw new StorageError('InvalidArgument', 'nextToken is not a token this library made; pass the nextToken of the previous page unchanged.');
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
    const valid = contents.v === 1 && typeof contents.l === 'string' && typeof contents.p === 'string' && typeof contents.r === 'boolean' && typeof contents.c === 'string' && contents.c !== '';
    return valid ? (contents as ListingTokenContents) : undefined;
  } catch {
    return undefined;
  }
}
