import type { PolicyVariable, VariableSource } from './policy-variables.ts';

/** Condition key values as AWS sends them: booleans, numbers and dates are strings too. */
export type ContextValue = string | string[];

export type ContextRecord = Record<string, ContextValue | undefined>;

/**
 * The request context of one evaluation: keys looked up case-insensitively, variables
 * resolved (and remembered for the explanation), the resource ARN split once on demand.
 */
export class RequestContext implements VariableSource {
  private readonly values = new Map<string, ContextValue>();
  /** Every variable resolved during the evaluation: its value, or null when it had none. */
  readonly variables: Record<string, string | null> = {};
  private resourceParts: string[] | null | undefined;
  private resourceHead: string | null | undefined;

  constructor(
    context: ContextRecord,
    readonly resource: string,
  ) {
    for (const key in context) {
      const value = context[key];
      if (value !== undefined) this.values.set(lowerCaseKey(key), value);
    }
  }

  /** `key` must already be lower-case (compiled policies store their keys that way). */
  get(key: string): ContextValue | undefined {
    return this.values.get(key);
  }

  /** Multi-valued keys cannot be variables: they resolve like a missing key (to the default, if any). */
  resolveVariable(variable: PolicyVariable): string | undefined {
    const value = this.values.get(variable.key);
    const resolved = typeof value === 'string' ? value : variable.defaultValue;
    this.variables[variable.name] = resolved ?? null;
    return resolved;
  }

  /** `arn:aws:s3:::` of the resource ARN (up to its fifth colon), or null when it is not an ARN. */
  resourceArnHead(): string | null {
    if (this.resourceHead === undefined) {
      let colon = -1;
      for (let component = 0; component < 5 && (colon = this.resource.indexOf(':', colon + 1)) >= 0; component++);
      this.resourceHead = colon < 0 ? null : this.resource.slice(0, colon + 1);
    }
    return this.resourceHead;
  }

  /** The resource ARN's first five components and its resource part, or null when it is not an ARN. */
  resourceComponents(): string[] | null {
    if (this.resourceParts === undefined) this.resourceParts = splitArn(this.resource);
    return this.resourceParts;
  }
}

/**
 * Requests keep using the same few dozen condition keys, so their lower-case forms are
 * remembered instead of recomputed per request (bounded, as keys come from callers).
 */
const lowerCaseKeys = new Map<string, string>();
const LOWER_CASE_KEY_LIMIT = 10_000;

function lowerCaseKey(key: string): string {
  let lower = lowerCaseKeys.get(key);
  if (lower === undefined) {
    lower = key.toLowerCase();
    if (lowerCaseKeys.size < LOWER_CASE_KEY_LIMIT) lowerCaseKeys.set(key, lower);
  }
  return lower;
}

/** `arn:partition:service:region:account:resource`; the resource part may itself contain colons. */
export function splitArn(arn: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  for (let component = 0; component < 5; component++) {
    const colon = arn.indexOf(':', start);
    if (colon < 0) return null;
    parts.push(arn.slice(start, colon));
    start = colon + 1;
  }
  parts.push(arn.slice(start));
  return parts;
}
