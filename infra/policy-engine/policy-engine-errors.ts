/** Where in a policy a fault was found. */
export interface PolicyLocation {
  policyName: string;
  /** Zero-based index of the statement, when the fault is inside one. */
  statementIndex?: number;
  sid?: string;
}

/** A policy that cannot be loaded. Thrown at load time, never during evaluation. */
export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  readonly policyName: string;
  readonly statementIndex: number | undefined;
  readonly sid: string | undefined;
  /** What is wrong, without the location. */
  readonly fault: string;

  constructor(location: PolicyLocation, fault: string) {
    super(`${describeLocation(location)}: ${fault}`);
    this.policyName = location.policyName;
    this.statementIndex = location.statementIndex;
    this.sid = location.sid;
    this.fault = fault;
  }
}

/**
 * A fault found by an element compiler, which does not know where its element sits;
 * `compilePolicy` turns it into a `PolicyValidationError` carrying the location.
 */
export class PolicyFault extends Error {
  override readonly name = 'PolicyFault';
}

function describeLocation(location: PolicyLocation): string {
  const policy = `Policy "${location.policyName}"`;
  if (location.statementIndex === undefined) return policy;
  const sid = location.sid === undefined ? '' : ` (Sid "${location.sid}")`;
  return `${policy}, statement ${location.statementIndex}${sid}`;
}
