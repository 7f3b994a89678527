import type { ObjectRecord } from '../model/object-record.ts';
import { NotModified, PreconditionFailed } from '../s3-errors.ts';
import { etagMatches } from '../model/write-conditions.ts';

interface ReadConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/**
 * Evaluates GET/HEAD conditional headers as S3 does (RFC 7232 precedence): a passing If-Match
 * overrides a failing If-Unmodified-Since, and If-None-Match overrides If-Modified-Since.
 * For a copy source every failed condition is a 412 (`notModifiedIsFailure`).
 */
export function checkReadConditions(record: ObjectRecord, conditions: ReadConditions, notModifiedIsFailure = false): void {
  const lastModifiedSeconds = Math.floor(Date.parse(record.lastModified) / 1000);
  const seconds = (date: string | undefined): number | undefined => {
    const time = date === undefined ? NaN : Date.parse(date);
    return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
  };
  const notModified = (condition: string): never => {
    throw notModifiedIsFailure ? new PreconditionFailed(condition) : new NotModified();
  };

  if (conditions.ifMatch !== undefined) {
    if (!etagMatches(conditions.ifMatch, record.etag)) throw new PreconditionFailed('If-Match');
  } else {
    const unmodifiedSince = seconds(conditions.ifUnmodifiedSince);
    if (unmodifiedSince !== undefined && lastModifiedSeconds > unmodifiedSince) throw new PreconditionFailed('If-Unmodified-Since');
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagMatches(conditions.ifNoneMatch, record.etag)) notModified('If-None-Match');
  } else {
    const modifiedSince = seconds(conditions.ifModifiedSince);
    if (modifiedSince !== undefined && lastModifiedSeconds <= modifiedSince) notModified('If-Modified-Since');
  }
}
