import { ForbiddenError } from './errors.ts';

/** AWS session tag rules (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html). */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const MAX_TAG_KEY_LENGTH = 128;
const MAX_TAG_VALUE_LENGTH = 256;
const MAX_SESSION_TAGS = 50;

/** Which session claim becomes which principal tag. */
export type ClaimToTagMap = Readonly<Record<string, string>>;

export const DEFAULT_CLAIM_TO_TAG: ClaimToTagMap = { tenant: 'tenant' };

export function isValidTagKey(key: string): boolean {
  return [...key].length <= MAX_TAG_KEY_LENGTH && TAG_CHARACTERS.test(key) && !key.toLowerCase().startsWith('aws:');
}

/**
 * Empty values are refused although tags may not require them elsewhere: a policy prefix like
 * `tenants/${aws:PrincipalTag/tenant}/` would become `tenants//`, one prefix shared by everyone
 * whose tenant is empty.
 */
export function isValidTagValue(value: string): boolean {
  return [...value].length <= MAX_TAG_VALUE_LENGTH && TAG_CHARACTERS.test(value);
}

/** Checked at start-up, so a misconfigured map fails loudly instead of on every request. */
export function validateClaimToTagMap(map: ClaimToTagMap): void {
  const entries = Object.entries(map);
  if (entries.length > MAX_SESSION_TAGS) throw new Error(`At most ${MAX_SESSION_TAGS} claims can become principal tags.`);
  for (const [claim, tag] of entries) {
    if (claim === '') throw new Error('A claim name in the claim-to-tag map is empty.');
    if (!isValidTagKey(tag)) throw new Error(`"${tag}" is not a valid principal tag key (1 to 128 of letters, digits, spaces and _.:/=+-@, not starting with aws:).`);
  }
}

/** The principal tags of a session; absent claims give no tag, present but unusable ones are refused. */
export function principalTagsFromClaims(claims: Record<string, unknown>, map: ClaimToTagMap): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [claim, tag] of Object.entries(map)) {
    const value = claims[claim];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !isValidTagValue(value)) {
      throw new ForbiddenError(
        `The session's ${claim} claim cannot become a principal tag: it must be a non-empty string of at most 256 letters, digits, spaces and _.:/=+-@.`,
      );
    }
    tags[tag] = value;
  }
  return tags;
}
