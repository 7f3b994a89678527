/**
 * Glob patterns as IAM uses them: `*` any run of characters (including none), `?` exactly one.
 * A pattern is a list of pieces so that characters that came from a policy variable (including
 * the `${*}` and `${?}` escapes) stay literal. Patterns are split into fixed-length segments
 * between stars once, when compiled; matching is then a left-to-right scan with no regex.
 */
export const ANY_RUN = 0;
export const ANY_CHARACTER = 1;
export type PatternPiece = string | typeof ANY_RUN | typeof ANY_CHARACTER;

/** A run of literal text and single-character wildcards between two stars. */
type Segment = { pieces: PatternPiece[]; length: number };

export interface WildcardPattern {
  /** Literal value when the pattern has no wildcard at all (fast path). */
  readonly exact?: string;
  /** Literal prefix when the pattern is `prefix*` (fast path). */
  readonly prefix?: string;
  /** Segments between stars; a pattern starting or ending with a star has an empty first or last segment. */
  readonly segments?: Segment[];
}

/** Splits plain pattern text (no variables) into pieces. */
export function piecesOfText(text: string): PatternPiece[] {
  const pieces: PatternPiece[] = [];
  let literal = '';
  for (const character of text) {
    if (character === '*' || character === '?') {
      if (literal) pieces.push(literal);
      literal = '';
      pieces.push(character === '*' ? ANY_RUN : ANY_CHARACTER);
    } else {
      literal += character;
    }
  }
  if (literal) pieces.push(literal);
  return pieces;
}

export function compileWildcardPattern(pieces: readonly PatternPiece[]): WildcardPattern {
  const merged: PatternPiece[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (typeof piece === 'string' && typeof last === 'string') merged[merged.length - 1] = last + piece;
    else if (!(piece === ANY_RUN && last === ANY_RUN) && piece !== '') merged.push(piece);
  }
  if (merged.length === 0) return { exact: '' };
  if (merged.length === 1 && typeof merged[0] === 'string') return { exact: merged[0] };
  if (merged.length === 2 && typeof merged[0] === 'string' && merged[1] === ANY_RUN) return { prefix: merged[0] };
  if (merged.length === 1 && merged[0] === ANY_RUN) return { prefix: '' };

  const segments: Segment[] = [];
  let current: Segment = { pieces: [], length: 0 };
  for (const piece of merged) {
    if (piece === ANY_RUN) {
      segments.push(current);
      current = { pieces: [], length: 0 };
    } else {
      current.pieces.push(piece);
      current.length += piece === ANY_CHARACTER ? 1 : piece.length;
    }
  }
  segments.push(current);
  return { segments };
}

function segmentMatchesAt(segment: Segment, value: string, position: number): boolean {
  let offset = position;
  for (const piece of segment.pieces) {
    if (piece === ANY_CHARACTER) {
      offset += 1;
    } else {
      if (!value.startsWith(piece as string, offset)) return false;
      offset += (piece as string).length;
    }
  }
  return true;
}

export function matchesWildcardPattern(pattern: WildcardPattern, value: string): boolean {
  if (pattern.exact !== undefined) return value === pattern.exact;
  if (pattern.prefix !== undefined) return value.startsWith(pattern.prefix);
  const segments = pattern.segments!;
  const first = segments[0]!;
  if (segments.length === 1) return value.length === first.length && segmentMatchesAt(first, value, 0);
  const last = segments[segments.length - 1]!;
  // The first and last segments are anchored; the ones between stars match leftmost-first, which is enough for globs.
  if (first.length + last.length > value.length) return false;
  if (!segmentMatchesAt(first, value, 0)) return false;
  let position = first.length;
  const lastIndex = segments.length - 1;
  for (let index = 1; index < lastIndex; index += 1) {
    const segment = segments[index]!;
    let found = -1;
    for (let start = position; start + segment.length <= value.length - last.length; start += 1) {
      if (segmentMatchesAt(segment, value, start)) {
        found = start;
        break;
      }
    }
    if (found < 0) return false;
    position = found + segment.length;
  }
  const lastStart = value.length - last.length;
  return lastStart >= position && segmentMatchesAt(last, value, lastStart);
}

/**
 * Matches a piece list directly (no compilation), for patterns built per request from policy
 * variables: the classic greedy glob scan with one backtrack point, over multi-character literals.
 */
export function matchesPieces(pieces: readonly PatternPiece[], value: string): boolean {
  let piece = 0;
  let offset = 0;
  let starPiece = -1;
  let starOffset = 0;
  for (;;) {
    if (piece < pieces.length) {
      const current = pieces[piece]!;
      if (current === ANY_RUN) {
        starPiece = piece;
        starOffset = offset;
        piece += 1;
        continue;
      }
      if (current === ANY_CHARACTER) {
        if (offset < value.length) {
          piece += 1;
          offset += 1;
          continue;
        }
      } else if (value.startsWith(current, offset)) {
        piece += 1;
        offset += current.length;
        continue;
      }
    } else if (offset === value.length) {
      return true;
    }
    if (starPiece < 0 || starOffset >= value.length) return false;
    starOffset += 1;
    offset = starOffset;
    piece = starPiece + 1;
  }
}
