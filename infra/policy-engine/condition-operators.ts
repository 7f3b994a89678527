import { closestName } from './closest-name.ts';
import { PolicyFault } from './policy-engine-errors.ts';
import { cidrContains, parseCidr, parseIpAddress, type CidrBlock } from './ip-address.ts';
import { parseGlobTemplate, parseTextTemplate, resolveGlob, resolveText, type GlobTemplate, type TextTemplate, type VariableSource } from './policy-variables.ts';
import { splitArn, type RequestContext } from './request-context.ts';
import { matchGlob } from './wildcard-pattern.ts';

/** One compiled `operator: { key: values }` pair, evaluated against a request. */
export interface CompiledCondition {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  /** As written. */
  key: string;
  values: string[];
  evaluate(context: RequestContext): boolean;
}

type SetQualifier = 'ForAnyValue' | 'ForAllValues' | undefined;

/**
 * How one family compares a policy value with a request value. `matches` answers undefined
 * when a policy variable in the value cannot be resolved.
 */
interface OperatorFamily<Value> {
  /** AWS substitutes variables only for string and ARN operators. */
  variables: boolean;
  /** Throws a PolicyFault for a value the operator cannot use. */
  compile(text: string, variables: boolean): Value;
  matches(value: Value, requestValue: string, source: VariableSource): boolean | undefined;
}

const stringEquals: OperatorFamily<TextTemplate> = {
  variables: true,
  compile: (text, variables) => parseTextTemplate(text, { variables }),
  matches: (value, requestValue, source) => {
    const resolved = resolveText(value, source);
    return resolved === undefined ? undefined : resolved === requestValue;
  },
};

const stringEqualsIgnoreCase: OperatorFamily<TextTemplate> = {
  variables: true,
  compile: (text, variables) => {
    const template = parseTextTemplate(text, { variables });
    return typeof template === 'string' ? template.toLowerCase() : template;
  },
  matches: (value, requestValue, source) => {
    const resolved = resolveText(value, source);
    return resolved === undefined ? undefined : resolved.toLowerCase() === requestValue.toLowerCase();
  },
};

const stringLike: OperatorFamily<GlobTemplate> = {
  variables: true,
  compile: (text, variables) => parseGlobTemplate(text, { variables }),
  matches: (value, requestValue, source) => {
    const glob = resolveGlob(value, source);
    return glob === undefined ? undefined : matchGlob(glob, requestValue);
  },
};

function numeric(compare: (request: number, policy: number) => boolean): OperatorFamily<number> {
  return {
    variables: false,
    compile: (text) => {
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text.trim())) throw new PolicyFault(`"${text}" is not a number`);
      return Number(text);
    },
    matches: (value, requestValue) => {
      const number = requestValue.trim() === '' ? NaN : Number(requestValue);
      return !Number.isNaN(number) && compare(number, value);
    },
  };
}

/** Epoch seconds or ISO 8601, as AWS accepts for date conditions and `aws:CurrentTime`/`aws:EpochTime`. */
function parseDate(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  return /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(trimmed) : NaN;
}

function date(compare: (request: number, policy: number) => boolean): OperatorFamily<number> {
  return {
    variables: false,
    compile: (text) => {
      const time = parseDate(text);
      if (Number.isNaN(time)) throw new PolicyFault(`"${text}" is not a date (ISO 8601 or epoch seconds)`);
      return time;
    },
    matches: (value, requestValue) => {
      const time = parseDate(requestValue);
      return !Number.isNaN(time) && compare(time, value);
    },
  };
}

const bool: OperatorFamily<string> = {
  variables: false,
  compile: (text) => {
    const lower = text.toLowerCase();
    if (lower !== 'true' && lower !== 'false') throw new PolicyFault(`"${text}" is not true or false`);
    return lower;
  },
  matches: (value, requestValue) => requestValue.toLowerCase() === value,
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Compared as bytes, so two spellings of the same base64 value are equal. */
const binaryEquals: OperatorFamily<string> = {
  variables: false,
  compile: (text) => {
    if (!BASE64.test(text)) throw new PolicyFault(`"${text}" is not base64`);
    return Buffer.from(text, 'base64').toString('base64');
  },
  matches: (value, requestValue) => Buffer.from(requestValue, 'base64').toString('base64') === value,
};

const ipAddress: OperatorFamily<CidrBlock> = {
  variables: false,
  compile: (text) => {
    const block = parseCidr(text.trim());
    if (!block) throw new PolicyFault(`"${text}" is not an IP address or CIDR block`);
    return block;
  },
  matches: (value, requestValue) => {
    const address = parseIpAddress(requestValue.trim());
    return address !== undefined && cidrContains(value, address);
  },
};

/** Each of the six ARN components is matched on its own; `*` never spans the colons before the resource part. */
const arnLike: OperatorFamily<GlobTemplate[]> = {
  variables: true,
  compile: (text, variables) => {
    const components = splitArnOutsideVariables(text);
    if (!components || components[0] !== 'arn') throw new PolicyFault(`"${text}" is not an ARN (arn:partition:service:region:account:resource)`);
    return components.map((component) => parseGlobTemplate(component, { variables }));
  },
  matches: (value, requestValue, source) => {
    const components = splitArn(requestValue);
    if (!components) return false;
    for (let index = 0; index < 6; index++) {
      const glob = resolveGlob(value[index]!, source);
      if (glob === undefined) return undefined;
      if (!matchGlob(glob, components[index]!)) return false;
    }
    return true;
  },
};

/** Like `splitArn`, but a colon inside `${...}` (as in `${aws:PrincipalAccount}`) does not separate components. */
function splitArnOutsideVariables(text: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  let inVariable = false;
  for (let index = 0; index < text.length && parts.length < 5; index++) {
    if (text.startsWith('${', index)) inVariable = true;
    else if (inVariable && text[index] === '}') inVariable = false;
    else if (!inVariable && text[index] === ':') {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  if (parts.length < 5) return null;
  parts.push(text.slice(start));
  return parts;
}

interface OperatorDefinition {
  family: OperatorFamily<unknown>;
  /** Negated operators are the negation of their positive twin: several values are a NOR. */
  negated: boolean;
}

const operator = <Value>(family: OperatorFamily<Value>, negated = false): OperatorDefinition => ({ family: family as OperatorFamily<unknown>, negated });

const numericEquals = numeric((a, b) => a === b);
const dateEquals = date((a, b) => a === b);

/** Every operator AWS documents, by name (without set qualifier or IfExists suffix). */
const OPERATORS: Record<string, OperatorDefinition> = {
  StringEquals: operator(stringEquals),
  StringNotEquals: operator(stringEquals, true),
  StringEqualsIgnoreCase: operator(stringEqualsIgnoreCase),
  StringNotEqualsIgnoreCase: operator(stringEqualsIgnoreCase, true),
  StringLike: operator(stringLike),
  StringNotLike: operator(stringLike, true),
  NumericEquals: operator(numericEquals),
  NumericNotEquals: operator(numericEquals, true),
  NumericLessThan: operator(numeric((a, b) => a < b)),
  NumericLessThanEquals: operator(numeric((a, b) => a <= b)),
  NumericGreaterThan: operator(numeric((a, b) => a > b)),
  NumericGreaterThanEquals: operator(numeric((a, b) => a >= b)),
  DateEquals: operator(dateEquals),
  DateNotEquals: operator(dateEquals, true),
  DateLessThan: operator(date((a, b) => a < b)),
  DateLessThanEquals: operator(date((a, b) => a <= b)),
  DateGreaterThan: operator(date((a, b) => a > b)),
  DateGreaterThanEquals: operator(date((a, b) => a >= b)),
  Bool: operator(bool),
  BinaryEquals: operator(binaryEquals),
  IpAddress: operator(ipAddress),
  NotIpAddress: operator(ipAddress, true),
  ArnEquals: operator(arnLike),
  ArnLike: operator(arnLike),
  ArnNotEquals: operator(arnLike, true),
  ArnNotLike: operator(arnLike, true),
};

export const CONDITION_OPERATOR_NAMES: readonly string[] = [...Object.keys(OPERATORS), 'Null'];

const MATCH = 1;
const NO_MATCH = 0;
/** No value matched and at least one could not be resolved. */
const UNRESOLVED = 2;

export function compileCondition(operatorName: string, key: string, values: string[], policyVariables: boolean): CompiledCondition {
  if (key.includes('${')) throw new PolicyFault(`condition key "${key}" contains a policy variable; variables are allowed only in values`);
  if (values.length === 0) throw new PolicyFault(`${operatorName} "${key}" has no values`);
  const { qualifier, name, ifExists } = parseOperatorName(operatorName);
  const keyLower = key.toLowerCase();
  if (name === 'Null') return compileNull(operatorName, key, keyLower, values);

  const { family, negated } = OPERATORS[name]!;
  const compiled = values.map((value) => {
    if (!family.variables && value.includes('${')) throw new PolicyFault(`${name} does not support policy variables ("${value}")`);
    try {
      return family.compile(value, policyVariables);
    } catch (error) {
      if (error instanceof PolicyFault) throw new PolicyFault(`${operatorName} "${key}": ${error.message}`);
      throw error;
    }
  });

  const outcome = (requestValue: string, context: RequestContext): number => {
    let unresolved = false;
    for (const value of compiled) {
      const result = family.matches(value, requestValue, context);
      if (result === true) return MATCH;
      if (result === undefined) unresolved = true;
    }
    return unresolved ? UNRESOLVED : NO_MATCH;
  };
  // A negated operator holds for a request value only when it provably matches no policy value.
  const holds = negated ? (requestValue: string, context: RequestContext) => outcome(requestValue, context) === NO_MATCH : (requestValue: string, context: RequestContext) => outcome(requestValue, context) === MATCH;
  const whenAbsent = qualifier === 'ForAllValues' || ifExists ? true : qualifier === 'ForAnyValue' ? false : negated;

  const evaluate = (context: RequestContext): boolean => {
    const requestValue = context.get(keyLower);
    if (requestValue === undefined) return whenAbsent;
    if (typeof requestValue === 'string') return holds(requestValue, context);
    if (requestValue.length === 0) return whenAbsent;
    if (qualifier === 'ForAllValues') return requestValue.every((value) => holds(value, context));
    if (qualifier === 'ForAnyValue' || !negated) return requestValue.some((value) => holds(value, context));
    return requestValue.every((value) => holds(value, context));
  };
  return { operator: operatorName, key, values, evaluate };
}

/** `Null: {key: "true"}` holds when the key is absent (or an empty set); `"false"` when it is present. */
function compileNull(operatorName: string, key: string, keyLower: string, values: string[]): CompiledCondition {
  const expectations = values.map((value) => {
    const lower = value.toLowerCase();
    if (lower !== 'true' && lower !== 'false') throw new PolicyFault(`Null "${key}": "${value}" is not true or false`);
    return lower === 'true';
  });
  const evaluate = (context: RequestContext): boolean => {
    const value = context.get(keyLower);
    const absent = value === undefined || (Array.isArray(value) && value.length === 0);
    return expectations.includes(absent);
  };
  return { operator: operatorName, key, values, evaluate };
}

function parseOperatorName(text: string): { qualifier: SetQualifier; name: string; ifExists: boolean } {
  let rest = text;
  let qualifier: SetQualifier;
  for (const candidate of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${candidate}:`)) {
      qualifier = candidate;
      rest = rest.slice(candidate.length + 1);
    }
  }
  if (rest === 'Null') {
    if (qualifier) throw new PolicyFault(`unknown condition operator "${text}": Null takes no set qualifier`);
    return { qualifier, name: rest, ifExists: false };
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  const name = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  if (!Object.hasOwn(OPERATORS, name)) {
    const suggestion = closestOperator(name);
    throw new PolicyFault(`unknown condition operator "${text}"${suggestion ? ` (did you mean "${text.replace(name, suggestion)}"?)` : ''}`);
  }
  return { qualifier, name, ifExists };
}

function closestOperator(name: string): string | undefined {
  return closestName(name, CONDITION_OPERATOR_NAMES, 4);
}
