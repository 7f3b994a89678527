/** One segment of a rule's prefix template: a literal, the caller's identity id, or one of its principal tags. */
export type PrefixSegment = { literal: string } | { identityId: true } | { tagKey: string };

const TAG_PLACEHOLDER = /^\{tag:([A-Za-z0-9_.:/=+\-@]{1,128})\}$/;

/**
 * Splits a published prefix (`tenants/{tag:tenant}/`) into segments, or returns why it is not a
 * prefix the stack could have published: the same shape rules as the stack's validation, so a
 * hand-edited outputs file cannot make the library build keys the rules never meant.
 */
export function parsePrefixTemplate(prefix: string): PrefixSegment[] | string {
  if (prefix.length === 0) return 'it is empty';
  if (!prefix.endsWith('/')) return 'it does not end with "/"';
  if (prefix.startsWith('/')) return 'it starts with "/"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return 'it contains a control character';
  const segments: PrefixSegment[] = [];
  for (const segment of prefix.slice(0, -1).split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `it has an empty, "." or ".." segment`;
    if (segment === '{identityId}') {
      if (segments.some((existing) => 'identityId' in existing)) return '{identityId} appears twice';
      segments.push({ identityId: true });
      continue;
    }
    const tag = TAG_PLACEHOLDER.exec(segment);
    if (tag) {
      segments.push({ tagKey: tag[1]! });
      continue;
    }
    if (/[{}*?$]/.test(segment)) return `"${segment}" is neither a literal nor a whole {identityId} or {tag:<key>} segment`;
    segments.push({ literal: segment });
  }
  return segments;
}

/** The name a rule without one gets: its first literal segment, lower-cased (`shared/` -> `shared`). */
export function defaultLocationName(segments: PrefixSegment[]): string | undefined {
  const first = segments.find((segment): segment is { literal: string } => 'literal' in segment);
  return first?.literal.toLowerCase();
}
