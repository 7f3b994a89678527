/**
 * `*` / `?` patterns, compiled once into segments so matching needs no regular expression:
 * a pattern is the list of its segments between `*`s, each a fixed-length run of literal
 * text and single-character wildcards. Matching is anchored at both ends; the middle
 * segments are found leftmost-first, which is exact for `*`-only gaps.
 */

/** A single-character wildcard (`?`) inside a segment. */
export const ANY_CHARACTER = 0;

export type GlobPiece = string | typeof ANY_CHARACTER;
type GlobSegment = readonly GlobPiece[];
/** Segments between `*`s; one segment means the pattern has no `*`. */
export type Glob = readonly GlobSegment[];

/** Compiles text where `*` and `?` are wildcards and every other character is literal. */
export function parseGlob(text: string): Glob {
  const segments: GlobPiece[][] = [[]];
  let literal = '';
  const flush = () => {
    if (literal !== '') segments[segments.length - 1]!.push(literal);
    literal = '';
  };
  for (const character of text) {
    if (character === '*') {
      flush();
      segments.push([]);
    } else if (character === '?') {
      flush();
      segments[segments.length - 1]!.push(ANY_CHARACTER);
    } else literal += character;
  }
  flush();
  return withoutEmptyMiddleSegments(segments);
}

/** `a**b` is `a*b`: empty segments between two stars carry no constraint. */
export function withoutEmptyMiddleSegments<T extends readonly unknown[]>(segments: T[]): T[] {
  if (segments.length <= 2) return segments;
  const middle = segments.slice(1, -1).filter((segment) => segment.length > 0);
  return [segments[0]!, ...middle, segments[segments.length - 1]!];
}

export function globHasWildcards(glob: Glob): boolean {
  return glob.length > 1 || glob[0]!.some((piece) => piece === ANY_CHARACTER);
}

/** True when `text` (from `start`) matches the whole pattern. */
export function matchGlob(glob: Glob, text: string, start = 0): boolean {
  const first = glob[0]!;
  let position = matchSegmentAt(first, text, start);
  if (position < 0) return false;
  if (glob.length === 1) return position === text.length;
  const last = glob[glob.length - 1]!;
  const lastStart = text.length - segmentLength(last);
  if (lastStart < position || matchSegmentAt(last, text, lastStart) < 0) return false;
  for (let index = 1; index < glob.length - 1; index++) {
    position = findSegment(glob[index]!, text, position, lastStart);
    if (position < 0) return false;
  }
  return true;
}

function segmentLength(segment: GlobSegment): number {
  let length = 0;
  for (const piece of segment) length += piece === ANY_CHARACTER ? 1 : piece.length;
  return length;
}

/** The end of `segment` matched at `position`, or -1. */
function matchSegmentAt(segment: GlobSegment, text: string, position: number): number {
  for (let index = 0; index < segment.length; index++) {
    const piece = segment[index]!;
    if (piece === ANY_CHARACTER) {
      if (position >= text.length) return -1;
      position++;
    } else {
      if (!textAt(text, piece, position)) return -1;
      position += piece.length;
    }
  }
  return position;
}

/**
 * `text.startsWith(literal, position)`, written as a slice comparison because that is
 * several times faster in V8 for the short literals of policies.
 */
function textAt(text: string, literal: string, position: number): boolean {
  const end = position + literal.length;
  return end <= text.length && text.slice(position, end) === literal;
}

/** The end of the leftmost match of `segment` starting in [from, limit - length], or -1. */
function findSegment(segment: GlobSegment, text: string, from: number, limit: number): number {
  const latestStart = limit - segmentLength(segment);
  const head = segment[0];
  if (typeof head === 'string') {
    for (let start = text.indexOf(head, from); start >= 0 && start <= latestStart; start = text.indexOf(head, start + 1)) {
      const end = matchSegmentAt(segment, text, start);
      if (end >= 0) return end;
    }
    return -1;
  }
  for (let start = from; start <= latestStart; start++) {
    const end = matchSegmentAt(segment, text, start);
    if (end >= 0) return end;
  }
  return -1;
}
