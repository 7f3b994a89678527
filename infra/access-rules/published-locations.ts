import type { AccessGrantee, AccessPermission, AccessRule } from './access-rule.ts';
import { accessRuleNames, validateAccessRules } from './validate-access-rules.ts';

/** One access rule as the stack publishes it in its `locations` output (docs/locations.md). */
export interface PublishedLocation {
  name: string;
  prefix: string;
  grants: Partial<Record<AccessGrantee, AccessPermission[]>>;
}

/** The rules, validated, with their resolved names, in rule order: what clients resolve locations from. */
export function publishedLocations(rules: readonly AccessRule[]): PublishedLocation[] {
  validateAccessRules(rules);
  const names = accessRuleNames(rules);
  return rules.map((rule, index) => ({
    name: names[index]!,
    prefix: rule.prefix,
    grants: Object.fromEntries(Object.entries(rule.grants).map(([grantee, permissions]) => [grantee, [...(permissions as AccessPermission[])]])),
  }));
}
