export type { AccessGrantee, AccessPermission, AccessRule } from './access-rule.ts';
export { ACCESS_GRANTEES, ACCESS_PERMISSIONS } from './access-rule.ts';
export { AccessRuleError } from './access-rule-error.ts';
export { DEFAULT_ACCESS_RULES, defaultAccessRules, type DefaultAccessRulesOptions } from './default-access-rules.ts';
export { validateAccessRules, describePrefix, accessRuleNames, ACCESS_RULE_NAME_PATTERN } from './validate-access-rules.ts';
export { publishedLocations, type PublishedLocation } from './published-locations.ts';
export { compileAccessRules, prefixToPolicyForm } from './compile-access-rules.ts';
export type { IamStatement, IdentityRoleKind, CompiledAccessStatements, CompileAccessRulesOptions } from './compile-access-rules.ts';
export { IDENTITY_ID_VARIABLE, principalTagVariable } from './access-rule-variables.ts';
