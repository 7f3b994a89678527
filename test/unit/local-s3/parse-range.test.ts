import { describe, expect, it } from 'vitest';
import { parseCopySourceRange, parseRange } from '../../../infra/local/s3/protocol/parse-range.ts';

/** The error a call throws (fails the test if it returns). */
function thrown(call: () => unknown): Error & { code?: string } {
  try {
    call();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to throw');
}

describe('parseRange (GetObject Range header, RFC 9110 as S3 applies it)', () => {
  const SIZE = 10;

  it('sends the whole object without a Range header', () => {
    expect(parseRange(undefined, SIZE)).toBeUndefined();
  });

  it('reads first-last inclusively', () => {
    expect(parseRange('bytes=0-0', SIZE)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=2-5', SIZE)).toEqual({ start: 2, end: 5 });
    expect(parseRange('bytes=0-9', SIZE)).toEqual({ start: 0, end: 9 });
  });

  it('reads to the end for an open range (bytes=0-, bytes=7-)', () => {
    expect(parseRange('bytes=0-', SIZE)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=7-', SIZE)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=9-', SIZE)).toEqual({ start: 9, end: 9 });
  });

  it('reads the last n bytes for a suffix range (bytes=-5), the whole object when n exceeds it', () => {
    expect(parseRange('bytes=-5', SIZE)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-1', SIZE)).toEqual({ start: 9, end: 9 });
    expect(parseRange('bytes=-10', SIZE)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=-1000', SIZE)).toEqual({ start: 0, end: 9 });
  });

  it('clamps a last byte past the end to the object (bytes=5-100)', () => {
    expect(parseRange('bytes=5-100', SIZE)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=0-99999999999', SIZE)).toEqual({ start: 0, end: 9 });
  });

  it('refuses a first byte at or past the end with InvalidRange, naming the range and the size', () => {
    for (const header of ['bytes=10-', 'bytes=10-20', 'bytes=100-200']) {
      const error = thrown(() => parseRange(header, SIZE));
      expect(error.code).toBe('InvalidRange');
      expect(error.message).toBe('The requested range is not satisfiable');
    }
    expect(thrown(() => parseRange('bytes=10-', SIZE))).toMatchObject({ details: { RangeRequested: 'bytes=10-', ActualObjectSize: '10' } });
  });

  it('refuses an empty suffix (bytes=-0) and any range of an empty object', () => {
    expect(thrown(() => parseRange('bytes=-0', SIZE)).code).toBe('InvalidRange');
    expect(thrown(() => parseRange('bytes=0-', 0)).code).toBe('InvalidRange');
    expect(thrown(() => parseRange('bytes=-5', 0)).code).toBe('InvalidRange');
    expect(thrown(() => parseRange('bytes=0-0', 0)).code).toBe('InvalidRange');
  });

  it('ignores a range whose last byte comes before its first (bytes=5-1): the whole object, not an error', () => {
    expect(parseRange('bytes=5-1', SIZE)).toBeUndefined();
    // Even when the first byte lies past the end: the range is invalid syntax, not unsatisfiable.
    expect(parseRange('bytes=50-1', SIZE)).toBeUndefined();
  });

  it('ignores what S3 does not support: several ranges, other units, malformed values', () => {
    for (const header of ['bytes=0-1,3-4', 'bytes=0-1, 5-', 'items=0-5', 'bytes 0-5', 'bytes=', 'bytes=-', 'bytes=a-b', 'bytes=1.5-3', 'bytes=-+3', 'BYTES=0-1', '']) {
      expect(parseRange(header, SIZE), header).toBeUndefined();
    }
  });

  it('tolerates whitespace around the header value but not inside it', () => {
    expect(parseRange('  bytes=1-2\t', SIZE)).toEqual({ start: 1, end: 2 });
    expect(parseRange('bytes = 1-2', SIZE)).toBeUndefined();
    expect(parseRange('bytes=1 - 2', SIZE)).toBeUndefined();
  });
});

describe('parseCopySourceRange (UploadPartCopy x-amz-copy-source-range)', () => {
  const SIZE = 100;

  it('reads bytes=first-last inside the source', () => {
    expect(parseCopySourceRange('bytes=0-99', SIZE)).toEqual({ start: 0, end: 99 });
    expect(parseCopySourceRange(' bytes=10-10 ', SIZE)).toEqual({ start: 10, end: 10 });
  });

  it('requires both ends, in order: InvalidArgument naming the header, not InvalidRange', () => {
    for (const header of ['bytes=0-', 'bytes=-5', 'bytes=5-1', 'bytes=0-1,2-3', 'items=0-5', 'garbage']) {
      const error = thrown(() => parseCopySourceRange(header, SIZE));
      expect(error.code, header).toBe('InvalidArgument');
      expect(error.message).toMatch(/^The x-amz-copy-source-range value must be of the form bytes=first-last/);
      expect(error).toMatchObject({ details: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header } });
    }
  });

  it('refuses a last byte past the source (no clamping, unlike GetObject): InvalidArgument with the source size', () => {
    const error = thrown(() => parseCopySourceRange('bytes=0-100', SIZE));
    expect(error.code).toBe('InvalidArgument');
    expect(error.message).toBe('Range specified is not valid for source object of size: 100');
  });
});
