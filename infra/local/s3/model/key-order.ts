/**
 * S3 lists keys in UTF-8 byte order. JavaScript compares UTF-16 code units, which differs only
 * between surrogate pairs and U+E000..U+FFFF; shifting those two ranges fixes the order without
 * encoding the strings.
 */
export function compareKeys(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index);
    const b = right.charCodeAt(index);
    if (a !== b) return utf8Rank(a) - utf8Rank(b);
  }
  return left.length - right.length;
}

function utf8Rank(codeUnit: number): number {
  if (codeUnit >= 0xd800 && codeUnit <= 0xdfff) return codeUnit + 0x2000;
  if (codeUnit >= 0xe000) return codeUnit - 0x800;
  return codeUnit;
}
