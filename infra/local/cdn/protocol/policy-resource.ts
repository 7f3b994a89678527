/**
 * Whether a policy's `Resource` matches a URL: `*` stands for any run of characters (also none),
 * `?` for exactly one, everything else literally (case-sensitive), as CloudFront matches them.
 */
export function resourceMatches(pattern: string, url: string): boolean {
  // Iterative wildcard match with one backtrack point: linear enough for hostile patterns.
  let patternIndex = 0;
  let urlIndex = 0;
  let starIndex = -1;
  let starUrlIndex = 0;
  while (urlIndex < url.length) {
    const character = pattern[patternIndex];
    if (character === '?' || (character !== undefined && character !== '*' && character === url[urlIndex])) {
      patternIndex += 1;
      urlIndex += 1;
    } else if (character === '*') {
      starIndex = patternIndex;
      starUrlIndex = urlIndex;
      patternIndex += 1;
    } else if (starIndex !== -1) {
      patternIndex = starIndex + 1;
      starUrlIndex += 1;
      urlIndex = starUrlIndex;
    } else {
      return false;
    }
  }
  while (pattern[patternIndex] === '*') patternIndex += 1;
  return patternIndex === pattern.length;
}
