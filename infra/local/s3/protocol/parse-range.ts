import { InvalidArgument, InvalidRange } from '../s3-errors.ts';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * The byte range a `Range` header asks for within an object of `size` bytes. A header S3 does
 * not understand (several ranges, other units) is ignored and the whole object is sent, as S3
 * does; a well-formed range outside the object is {@link InvalidRange}.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    const suffixLength = Number(last);
    if (suffixLength === 0 || size === 0) throw new InvalidRange(header, size);
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) throw new InvalidRange(header, size);
  return { start, end };
}

/**
 * `x-amz-copy-source-range: bytes=first-last`: both ends required and inside the source. S3
 * answers either failure as 400 InvalidArgument (not GetObject's 416 InvalidRange).
 */
export function parseCopySourceRange(header: string, size: number): ByteRange {
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match || match[1] === '' || match[2] === '' || Number(match[2]) < Number(match[1])) {
    throw new InvalidArgument(
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      'x-amz-copy-source-range',
      header,
    );
  }
  if (Number(match[2]) >= size) throw new InvalidArgument(`Range specified is not valid for source object of size: ${size}`, 'x-amz-copy-source-range', header);
  return { start: Number(match[1]), end: Number(match[2]) };
}
