import type { PublishedAccessRule } from '../../app/library/index.ts';
import { defaultAccessRules, publishedLocations } from '../access-rules/index.ts';

/**
 * How the deployment's published locations differ from the default ones the matrix expects
 * (`defaultAccessRules`, with the public location when guests are allowed). The matrix checks
 * what the deployment enforces against the defaults; a deployment with other rules is told so.
 */
export function differencesFromDefaults(published: readonly PublishedAccessRule[], guestsAllowed: boolean): string[] {
  const expected = publishedLocations(defaultAccessRules({ allowGuests: guestsAllowed }));
  const describe = (rule: PublishedAccessRule) =>
    `${rule.prefix} ${Object.entries(rule.grants)
      .map(([grantee, permissions]) => `${grantee}: ${[...(permissions ?? [])].sort().join(',')}`)
      .sort()
      .join('; ')}`;
  const differences: string[] = [];
  for (const rule of expected) {
    const found = published.find((candidate) => candidate.name === rule.name);
    if (!found) differences.push(`${rule.name}: missing (the defaults have ${describe(rule)})`);
    else if (describe(found) !== describe(rule)) differences.push(`${rule.name}: ${describe(found)} (the defaults have ${describe(rule)})`);
  }
  for (const rule of published) if (!expected.some((candidate) => candidate.name === rule.name)) differences.push(`${rule.name}: not a default location (${describe(rule)})`);
  return differences;
}
