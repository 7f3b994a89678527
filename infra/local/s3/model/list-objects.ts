import { keyBytes, positionAfter, positionPastPrefix } from './key-bytes.ts';
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

/**
 * One page of a bucket listing: keys under a prefix, rolled up into common prefixes at the
 * delimiter. It reads the index as range scans in listing order: from the prefix (or just past
 * `after`) to the end of the prefix, and after each common prefix it seeks past every key under
 * it instead of reading them.
 */
export function listObjects(index: ObjectIndex, query: ListObjectsQuery): ListObjectsPage {
  const page: ListObjectsPage = { objects: [], commonPrefixes: [], isTruncated: false };
  // S3 answers max-keys=0 as a complete empty page: a truncated one would have no position to go on from.
  if (query.maxKeys === 0) return page;
  const prefix = keyBytes(query.prefix);
  const end = positionPastPrefix(prefix);
  let from: Buffer | undefined = startOf(query, prefix);
  while (from !== undefined) {
    const seekFrom: Buffer = from;
    from = undefined;
    for (const scanned of index.scan(seekFrom, end)) {
      if (page.objects.length + page.commonPrefixes.length === query.maxKeys) {
        page.isTruncated = true;
        return page;
      }
      const commonPrefix = commonPrefixOf(scanned.key, query.prefix, query.delimiter);
      if (commonPrefix !== undefined) {
        page.commonPrefixes.push(commonPrefix);
        page.last = { value: commonPrefix, isCommonPrefix: true };
        from = positionPastPrefix(keyBytes(commonPrefix));
        break;
      }
      page.objects.push(scanned.record());
      page.last = { value: scanned.key, isCommonPrefix: false };
    }
  }
  return page;
}

/** Where the scan starts: the prefix, or just past `after` (and every key under it, if it was a common prefix) when that is further. */
function startOf(query: ListObjectsQuery, prefix: Buffer): Buffer {
  if (query.after === undefined) return prefix;
  const after = keyBytes(query.after);
  if (Buffer.compare(after, prefix) < 0) return prefix;
  return query.afterIsCommonPrefix ? positionPastPrefix(after) : positionAfter(after);
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
