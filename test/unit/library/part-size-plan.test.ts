import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planPartSize, S3_PART_LIMITS } from '../../../app/library/part-size-plan.ts';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;
const PREFERRED = 8 * MIB;

describe('planPartSize', () => {
  it('keeps the preferred size while 10,000 parts of it hold the file', () => {
    expect(planPartSize(PREFERRED * 10_000, PREFERRED)).toEqual({ partSize: PREFERRED, partCount: 10_000 });
    expect(planPartSize(78 * GIB, PREFERRED)).toEqual({ partSize: PREFERRED, partCount: 9984 });
    expect(planPartSize(100 * MIB, PREFERRED)).toEqual({ partSize: PREFERRED, partCount: 13 });
  });

  it('grows to the next whole MiB one byte past 10,000 preferred parts', () => {
    expect(planPartSize(PREFERRED * 10_000 + 1, PREFERRED)).toEqual({ partSize: 9 * MIB, partCount: 8889 });
  });

  it('plans 1 TiB in 105 MiB parts and 5 TiB exactly in 525 MiB parts, both under 10,000 parts', () => {
    expect(planPartSize(TIB, PREFERRED)).toEqual({ partSize: 105 * MIB, partCount: 9987 });
    expect(planPartSize(5 * TIB, PREFERRED)).toEqual({ partSize: 525 * MIB, partCount: 9987 });
  });

  it('refuses one byte above 5 TiB with TooLarge, saying the limit', () => {
    let failure: unknown;
    try {
      planPartSize(5 * TIB + 1, PREFERRED);
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({
      name: 'StorageError',
      code: 'TooLarge',
      message: 'The file is 5.00 TiB (5497558138881 bytes); S3 stores objects up to 5 TiB (5497558138880 bytes). Nothing was sent.',
    });
  });

  it('never goes below 5 MiB and rounds a preferred size up to whole MiB', () => {
    expect(planPartSize(50 * MIB, MIB)).toEqual({ partSize: 5 * MIB, partCount: 10 });
    expect(planPartSize(50 * MIB, 6_000_000)).toEqual({ partSize: 6 * MIB, partCount: 9 });
  });

  it('plans an empty file as one part', () => {
    expect(planPartSize(0, PREFERRED)).toEqual({ partSize: PREFERRED, partCount: 1 });
  });

  it('follows other limits (an emulator with small parts)', () => {
    const small = { minPartSize: 1, maxPartSize: 1000, maxParts: 10, maxObjectSize: 5000, partSizeStep: 1 };
    expect(planPartSize(95, 4, small)).toEqual({ partSize: 10, partCount: 10 });
    expect(planPartSize(30, 4, small)).toEqual({ partSize: 4, partCount: 8 });
    expect(() => planPartSize(5001, 4, small)).toThrow(expect.objectContaining({ code: 'TooLarge' }));
  });

  it('rejects a size that is not a whole number of bytes', () => {
    expect(() => planPartSize(-1, PREFERRED)).toThrow(RangeError);
    expect(() => planPartSize(1.5, PREFERRED)).toThrow(RangeError);
  });

  it('for every size up to 5 TiB: at most 10,000 parts, parts cover the file, whole MiB, at least the preferred size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * TIB }), fc.integer({ min: 1, max: 64 * MIB }), (size, preferred) => {
        const { partSize, partCount } = planPartSize(size, preferred);
        expect(partCount).toBeLessThanOrEqual(S3_PART_LIMITS.maxParts);
        expect(partSize * partCount).toBeGreaterThanOrEqual(size);
        expect(partSize % MIB).toBe(0);
        expect(partSize).toBeGreaterThanOrEqual(Math.max(preferred, 5 * MIB));
        expect(partSize).toBeLessThanOrEqual(S3_PART_LIMITS.maxPartSize);
        // The smallest such size: one MiB less would need more parts or be below the preferred size.
        if (partSize - MIB >= Math.max(preferred, 5 * MIB)) expect(Math.ceil(size / (partSize - MIB))).toBeGreaterThan(S3_PART_LIMITS.maxParts);
      }),
    );
  });
});
