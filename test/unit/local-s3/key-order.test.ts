import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../../infra/local/s3/model/key-order.ts';

/** S3's own order: the keys' UTF-8 bytes, compared as unsigned bytes. */
function byUtf8Bytes(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

/**
 * Keys from characters at the edges where UTF-8 and UTF-16 order part ways (below and above the
 * surrogate range, U+E000..U+FFFF, astral planes), so random keys share prefixes and differ there.
 */
const EDGE_CHARACTERS = ['/', 'a', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\ufffd', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
const edgeKey = (maxLength: number) => fc.array(fc.constantFrom(...EDGE_CHARACTERS), { maxLength }).map((characters) => characters.join(''));

describe('compareKeys (S3 lists keys in UTF-8 byte order)', () => {
  it('orders ASCII as bytes: upper case before lower case, a prefix before its extensions', () => {
    expect(['b', 'a/b', 'B', 'a', 'a/', 'a0', 'a-'].sort(compareKeys)).toEqual(['B', 'a', 'a-', 'a/', 'a/b', 'a0', 'b']);
  });

  it('puts a character above U+FFFF (a surrogate pair) after U+E000..U+FFFF, unlike UTF-16 order', () => {
    const emoji = '\u{1F600}'; // UTF-8 F0 9F 98 80; UTF-16 D83D DE00
    const privateUse = '\uE000'; // UTF-8 EE 80 80
    const replacement = '\uFFFD'; // UTF-8 EF BF BD
    // JavaScript's default sort compares UTF-16 code units and gets this wrong.
    expect([replacement, emoji, privateUse].sort()).toEqual([emoji, privateUse, replacement]);
    expect([replacement, emoji, privateUse].sort(compareKeys)).toEqual([privateUse, replacement, emoji]);
    expect(compareKeys(`a${emoji}`, `a${replacement}`)).toBeGreaterThan(0);
  });

  it('keeps the order of characters below U+D800 as UTF-16 does (é, Ω, 中 by code point)', () => {
    expect(['中', 'Ω', 'é', 'z'].sort(compareKeys)).toEqual(['z', 'é', 'Ω', '中']);
  });

  it('is 0 only for equal keys', () => {
    expect(compareKeys('users/a', 'users/a')).toBe(0);
    expect(compareKeys('', '')).toBe(0);
    expect(compareKeys('', 'a')).toBeLessThan(0);
  });

  it('agrees in sign with comparing the UTF-8 bytes, for any two strings', () => {
    fc.assert(
      fc.property(fc.oneof(edgeKey(6), fc.string({ unit: 'binary' })), fc.oneof(edgeKey(6), fc.string({ unit: 'binary' })), (left, right) => Math.sign(compareKeys(left, right)) === Math.sign(byUtf8Bytes(left, right))),
      { numRuns: 2000 },
    );
  });
});
