import type { ObjectRecord } from './object-record.ts';
import { InvalidPartNumber } from '../s3-errors.ts';

export interface ObjectPart {
  /** Offset of the part's first byte in the object. */
  start: number;
  size: number;
  /** How many parts a multipart object has; undefined for any other object. */
  partCount: number | undefined;
}

/**
 * Part `partNumber` (1-based, in the order the parts make up the object) of an object. A
 * multipart object's parts are its segments, one per completed part; any other object is a
 * single part holding all of it. Past the last part is {@link InvalidPartNumber}.
 */
export function objectPart(record: ObjectRecord, partNumber: number): ObjectPart {
  const partSizes = record.partCount === undefined ? [record.size] : record.segments.map((segment) => segment.size);
  if (record.partCount !== undefined && partSizes.length !== record.partCount) {
    throw new Error(`Object record of ${record.key} has ${partSizes.length} segments for ${record.partCount} parts`);
  }
  if (partNumber > partSizes.length) throw new InvalidPartNumber(partNumber, partSizes.length);
  const start = partSizes.slice(0, partNumber - 1).reduce((total, size) => total + size, 0);
  return { start, size: partSizes[partNumber - 1] as number, partCount: record.partCount };
}
