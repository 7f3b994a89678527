/** A policy that cannot be evaluated safely; raised when the policy is loaded, never per request. */
export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  constructor(
    readonly policyName: string,
    readonly statement: string | undefined,
    readonly fault: string,
  ) {
    super(`Policy "${policyName}"${statement === undefined ? '' : `, statement ${statement}`}: ${fault}`);
  }
}
