import { InvalidParameterException, SerializationException } from '../cognito-errors.ts';

export interface StringConstraints {
  min: number;
  max: number;
  /** AWS's pattern text; the whole value must match. */
  pattern?: string;
}

export interface MapConstraints {
  maxEntries: number;
  key: StringConstraints;
  value: StringConstraints;
  /** Whether values are secrets (tokens) that must not be echoed in messages. */
  sensitive?: boolean;
}

/**
 * Reads members of a request object, checking them against the API's constraints. Wrong JSON
 * types fail at once with a SerializationException (AWS cannot even deserialize them); constraint
 * violations are collected so {@link finish} reports them all in one InvalidParameterException,
 * in AWS's "N validation errors detected" style.
 */
export class InputReader {
  private readonly violations: string[] = [];

  constructor(private readonly input: Record<string, unknown>) {}

  requiredString(member: string, constraints: StringConstraints): string {
    const value = this.optionalString(member, constraints);
    if (value === undefined) this.violations.push(`Value null at '${memberPath(member)}' failed to satisfy constraint: Member must not be null`);
    return value ?? '';
  }

  optionalString(member: string, constraints: StringConstraints): string | undefined {
    const value = this.member(member);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new SerializationException(`${member} must be a string.`);
    this.checkString(memberPath(member), value, constraints, false);
    return value;
  }

  optionalInteger(member: string, range: { min: number; max: number }): number | undefined {
    const value = this.member(member);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new SerializationException(`${member} must be an integer.`);
    if (value < range.min) this.violations.push(`Value '${value}' at '${memberPath(member)}' failed to satisfy constraint: Member must have value greater than or equal to ${range.min}`);
    if (value > range.max) this.violations.push(`Value '${value}' at '${memberPath(member)}' failed to satisfy constraint: Member must have value less than or equal to ${range.max}`);
    return value;
  }

  requiredStringMap(member: string, constraints: MapConstraints): Record<string, string> {
    const value = this.optionalStringMap(member, constraints);
    if (value === undefined) this.violations.push(`Value null at '${memberPath(member)}' failed to satisfy constraint: Member must not be null`);
    return value ?? {};
  }

  optionalStringMap(member: string, constraints: MapConstraints): Record<string, string> | undefined {
    const value = this.member(member);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw new SerializationException(`${member} must be an object of strings.`);
    const entries = Object.entries(value as Record<string, unknown>);
    const path = memberPath(member);
    if (entries.length > constraints.maxEntries) {
      this.violations.push(`Value at '${path}' failed to satisfy constraint: Member must have at most ${constraints.maxEntries} entries (it has ${entries.length})`);
    }
    for (const [key, entry] of entries) {
      if (typeof entry !== 'string') throw new SerializationException(`${member}.${key} must be a string.`);
      this.checkString(`${path} key`, key, constraints.key, false);
      this.checkString(`${path}.${truncated(key)}`, entry, constraints.value, constraints.sensitive ?? false);
    }
    return Object.fromEntries(entries) as Record<string, string>;
  }

  requiredStringList(member: string, constraints: { minItems: number; maxItems: number; item: StringConstraints }): string[] {
    const value = this.member(member);
    const path = memberPath(member);
    if (value === undefined) {
      this.violations.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
      return [];
    }
    if (!Array.isArray(value)) throw new SerializationException(`${member} must be a list of strings.`);
    if (value.length < constraints.minItems || value.length > constraints.maxItems) {
      this.violations.push(
        `Value at '${path}' failed to satisfy constraint: Member must have between ${constraints.minItems} and ${constraints.maxItems} items (it has ${value.length})`,
      );
    }
    return value.map((item, index) => {
      if (typeof item !== 'string') throw new SerializationException(`${member}[${index}] must be a string.`);
      this.checkString(`${path}.${index + 1}.member`, item, constraints.item, false);
      return item;
    });
  }

  /** Adds a rule that spans members (e.g. "one of A or B"). */
  violation(message: string): void {
    this.violations.push(message);
  }

  /** Throws the collected violations, if any. */
  finish(): void {
    if (this.violations.length === 0) return;
    const count = this.violations.length;
    throw new InvalidParameterException(`${count} validation error${count === 1 ? '' : 's'} detected: ${this.violations.join('; ')}`);
  }

  /** JSON null means "absent", as AWS treats it. */
  private member(member: string): unknown {
    const value = this.input[member];
    return value === null ? undefined : value;
  }

  private checkString(path: string, value: string, constraints: StringConstraints, sensitive: boolean): void {
    const shown = sensitive ? '' : ` '${truncated(value)}'`;
    const length = [...value].length;
    if (length < constraints.min) this.violations.push(`Value${shown} at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${constraints.min}`);
    if (length > constraints.max) this.violations.push(`Value${shown} at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${constraints.max}`);
    if (constraints.pattern !== undefined && length > 0 && !fullMatch(constraints.pattern).test(value)) {
      this.violations.push(`Value${shown} at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${constraints.pattern}`);
    }
  }
}

const compiledPatterns = new Map<string, RegExp>();

function fullMatch(pattern: string): RegExp {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    compiled = new RegExp(`^(?:${pattern})$`, 'u');
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

/** AWS names members in messages in camelCase (`identityPoolId`). */
function memberPath(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

function truncated(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
