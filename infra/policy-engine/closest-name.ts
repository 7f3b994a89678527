/**
 * The candidate closest to a misspelt name, for "did you mean ...?" hints: the smallest
 * case-insensitive edit distance, if it is below `maxDistance`.
 */
export function closestName(name: string, candidates: Iterable<string>, maxDistance: number): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = maxDistance;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
