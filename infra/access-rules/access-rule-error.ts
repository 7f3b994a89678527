/** A rule set that cannot be compiled safely; the message names the rule and the fault. */
export class AccessRuleError extends Error {
  override readonly name = 'AccessRuleError';
}
