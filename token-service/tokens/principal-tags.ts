import { ForbiddenError } from '../http/token-service-errors.ts';

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
 * Why a value cannot be a principal tag value, or undefined when it can. A tag value fills policy
 * paths such as `tenants/${aws:PrincipalTag/tenant}/`, and IAM substitutes it literally, so it must
 * be one whole path segment: with `/` in it, tenant `acme/eu`'s prefix would lie inside tenant
 * `acme`'s; `.` and `..` name no folder of their own. Empty values would make `tenants//`, one
 * prefix shared by everyone whose tenant is empty.
 */
export function tagValueProblem(value: string): string | undefined {
  if (value === '') return 'it is empty, and tenants/{tag}/ would become one prefix shared by everyone without a tag';
  if ([...value].length > MAX_TAG_VALUE_LENGTH) return `it is longer than ${MAX_TAG_VALUE_LENGTH} characters`;
  if (value.includes('/')) return 'it contains "/", and a tag value must be one whole path segment (acme/eu would lie inside acme\'s prefix)';
  if (value === '.' || value === '..') return `"${value}" names no folder of its own, and a tag value must be one whole path segment`;
  if (!TAG_CHARACTERS.test(value)) return 'it may hold only letters, digits, spaces and _.:=+-@';
  return undefined;
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
    const problem = typeof value === 'string' ? tagValueProblem(value) : 'it is not a string';
    if (problem !== undefined) throw new ForbiddenError(`The session's ${claim} claim cannot become a principal tag: ${problem}.`);
    tags[tag] = String(value);
  }
  return tags;
}
