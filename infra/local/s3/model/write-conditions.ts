import type { ObjectRecord } from './object-record.ts';
import { NoSuchKey, PreconditionFailed } from '../s3-errors.ts';

/** Conditional-write headers of PutObject and CompleteMultipartUpload. */
export interface WriteConditions {
  /** Only `*`: write only if no object has the key. */
  ifNoneMatch?: '*';
  /** Write only if the current object has this ETag (`*`: if any object exists). */
  ifMatch?: string;
}

export function checkWriteConditions(key: string, current: ObjectRecord | undefined, conditions: WriteConditions): void {
  if (conditions.ifNoneMatch === '*' && current !== undefined) throw new PreconditionFailed('If-None-Match');
  if (conditions.ifMatch !== undefined) {
    if (current === undefined) throw new NoSuchKey(key);
    if (!etagMatches(conditions.ifMatch, current.etag)) throw new PreconditionFailed('If-Match');
  }
}

/** Whether an `If-Match`/`If-None-Match` list (`"a", "b"` or `*`) names this ETag; quotes and `W/` are optional. */
export function etagMatches(headerValue: string, etag: string): boolean {
  const bare = unquoteEtag(etag);
  return headerValue.split(',').some((candidate) => {
    const trimmed = candidate.trim();
    return trimmed === '*' || unquoteEtag(trimmed.replace(/^W\//, '')) === bare;
  });
}

export function unquoteEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}
