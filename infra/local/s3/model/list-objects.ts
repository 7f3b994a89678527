import { compareKeys } from './key-order.ts';
import type { ObjectIndex } from './object-index.ts';
import type { ObjectRecord } from './object-record.ts';

export interface ListObjectsQuery {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  /** List keys (and common prefixes) strictly after this one. */
  after?: string;
  /** `after` was a common prefix: skip every key under it too. */
  afterIsCommonPrefix?: boolean;
}

export interface ListObjectsPage {
  objects: ObjectRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix of the page, where the next page starts after. */
  last?: { value: string; isCommonPrefix: boolean };
}

/** One page of a bucket listing: keys under a prefix, rolled up into common prefixes at the delimiter. */
export function listObjects(index: ObjectIndex, query: ListObjectsQuery): ListObjectsPage {
  const page: ListObjectsPage = { objects: [], commonPrefixes: [], isTruncated: false };
  // S3 answers max-keys=0 as a complete empty page: a truncated one would have no position to go on from.
  if (query.maxKeys === 0) return page;
  let lastCommonPrefix = query.afterIsCommonPrefix ? query.after : undefined;
  const keys =
    query.after !== undefined && compareKeys(query.after, query.prefix) >= 0 ? index.keysFrom(query.after, false) : index.keysFrom(query.prefix, true);
  for (const key of keys) {
    // Keys under the prefix are contiguous in listing order: the first one outside ends the listing.
    if (!key.startsWith(query.prefix)) break;
    const commonPrefix = commonPrefixOf(key, query.prefix, query.delimiter);
    if (commonPrefix !== undefined && commonPrefix === lastCommonPrefix) continue;
    if (page.objects.length + page.commonPrefixes.length === query.maxKeys) {
      page.isTruncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      lastCommonPrefix = commonPrefix;
      page.commonPrefixes.push(commonPrefix);
      page.last = { value: commonPrefix, isCommonPrefix: true };
    } else {
      page.objects.push(index.get(key) as ObjectRecord);
      page.last = { value: key, isCommonPrefix: false };
    }
  }
  return page;
}

/**
 * Where a v1 listing (`marker`) resumes. A marker that is one of the listing's own common prefixes
 * (a NextMarker) also skips every key under it, so paging never repeats a common prefix.
 */
export function positionAfterMarker(marker: string, prefix: string, delimiter: string | undefined): Required<Pick<ListObjectsQuery, 'after' | 'afterIsCommonPrefix'>> {
  return { after: marker, afterIsCommonPrefix: marker.startsWith(prefix) && commonPrefixOf(marker, prefix, delimiter) === marker };
}

function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const position = key.indexOf(delimiter, prefix.length);
  return position < 0 ? undefined : key.slice(0, position + delimiter.length);
}
