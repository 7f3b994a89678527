import { BlockList, isIP } from 'node:net';
import { parseTemplate, resolveVariable, type TemplatePart } from './policy-variables.ts';
import type { RequestContext } from './request-context.ts';
import { compileWildcardPattern, matchesWildcardPattern, piecesOfText, type PatternPiece, type WildcardPattern } from './wildcard-pattern.ts';

type Family = 'String' | 'StringIgnoreCase' | 'StringLike' | 'Numeric' | 'Date' | 'Bool' | 'Binary' | 'Ip' | 'Arn' | 'Null';
type Comparison = 'equals' | 'lessThan' | 'lessThanEquals' | 'greaterThan' | 'greaterThanEquals';

interface OperatorDefinition {
  family: Family;
  negated: boolean;
  comparison: Comparison;
}

const operator = (family: Family, negated = false, comparison: Comparison = 'equals'): OperatorDefinition => ({ family, negated, comparison });

/** Every condition operator AWS documents (without the IfExists suffix and set qualifiers). */
export const CONDITION_OPERATORS: Record<string, OperatorDefinition> = {
  StringEquals: operator('String'),
  StringNotEquals: operator('String', true),
  StringEqualsIgnoreCase: operator('StringIgnoreCase'),
  StringNotEqualsIgnoreCase: operator('StringIgnoreCase', true),
  StringLike: operator('StringLike'),
  StringNotLike: operator('StringLike', true),
  NumericEquals: operator('Numeric'),
  NumericNotEquals: operator('Numeric', true),
  NumericLessThan: operator('Numeric', false, 'lessThan'),
  NumericLessThanEquals: operator('Numeric', false, 'lessThanEquals'),
  NumericGreaterThan: operator('Numeric', false, 'greaterThan'),
  NumericGreaterThanEquals: operator('Numeric', false, 'greaterThanEquals'),
  DateEquals: operator('Date'),
  DateNotEquals: operator('Date', true),
  DateLessThan: operator('Date', false, 'lessThan'),
  DateLessThanEquals: operator('Date', false, 'lessThanEquals'),
  DateGreaterThan: operator('Date', false, 'greaterThan'),
  DateGreaterThanEquals: operator('Date', false, 'greaterThanEquals'),
  Bool: operator('Bool'),
  BinaryEquals: operator('Binary'),
  IpAddress: operator('Ip'),
  NotIpAddress: operator('Ip', true),
  ArnEquals: operator('Arn'),
  ArnLike: operator('Arn'),
  ArnNotEquals: operator('Arn', true),
  ArnNotLike: operator('Arn', true),
  Null: operator('Null'),
};

/** Numeric operators take integers and decimals, not what `Number()` also accepts ("0x10", "1e3", " "). */
const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

const FAMILIES_WITH_VARIABLES = new Set<Family>(['String', 'StringIgnoreCase', 'StringLike', 'Arn', 'Bool']);

/** A policy value, compiled for its operator family. */
type PolicyValue =
  | { kind: 'text'; text: string; pattern?: WildcardPattern; arn?: WildcardPattern[] }
  | { kind: 'template'; parts: Array<TemplatePart & { escaped?: boolean }> }
  | { kind: 'number'; value: number }
  | { kind: 'ip'; blocks: BlockList; family: 4 | 6 };

export interface CompiledCondition {
  /** As written, for explanations, e.g. `ForAnyValue:StringLike`. */
  operatorText: string;
  /** As written, e.g. `aws:PrincipalTag/tenant`. */
  keyText: string;
  key: string;
  family: Family;
  comparison: Comparison;
  negated: boolean;
  ifExists: boolean;
  setQualifier: 'ForAnyValue' | 'ForAllValues' | undefined;
  values: PolicyValue[];
  /** For Null: whether the key must be absent. */
  expectAbsent?: boolean;
}

/**
 * Compiles one operator + key + values of a Condition block, rejecting what AWS would treat as
 * an error or, worse, as a silent non-match: unknown operators, unparsable values, variables
 * where the operator does not take them.
 */
export function compileCondition(operatorText: string, keyText: string, rawValues: unknown, allowVariables: boolean, fail: (fault: string) => never): CompiledCondition {
  let name = operatorText;
  let setQualifier: CompiledCondition['setQualifier'];
  const qualifierMatch = /^(ForAnyValue|ForAllValues):(.*)$/.exec(name);
  if (qualifierMatch) {
    setQualifier = qualifierMatch[1] as CompiledCondition['setQualifier'];
    name = qualifierMatch[2]!;
  } else if (name.includes(':')) {
    fail(`unknown set operator in "${operatorText}"; use ForAnyValue: or ForAllValues:`);
  }
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  const definition = CONDITION_OPERATORS[name];
  if (!definition) fail(`unknown condition operator "${operatorText}"${suggestOperator(name)}`);
  if (definition.family === 'Null' && (ifExists || setQualifier)) fail(`"${operatorText}": Null takes neither IfExists nor a set operator`);
  if (typeof keyText !== 'string' || !/^[A-Za-z0-9._-]+:[A-Za-z0-9._:/+=@-]+$/.test(keyText)) fail(`condition key "${keyText}" under ${operatorText} is not a context key such as aws:SecureTransport`);

  const list = Array.isArray(rawValues) ? rawValues : [rawValues];
  if (list.length === 0) fail(`condition ${operatorText} on ${keyText} has no values`);
  const compiled: CompiledCondition = {
    operatorText,
    keyText,
    key: keyText.toLowerCase(),
    family: definition.family,
    comparison: definition.comparison,
    negated: definition.negated,
    ifExists,
    setQualifier,
    values: [],
  };
  for (const raw of list) {
    if (typeof raw !== 'string' && typeof raw !== 'boolean' && typeof raw !== 'number') fail(`condition ${operatorText} on ${keyText} has a value that is not a string, number or boolean`);
    const text = String(raw);
    if (definition.family === 'Null') {
      if (text !== 'true' && text !== 'false') fail(`Null on ${keyText} takes "true" or "false", not "${text}"`);
      compiled.expectAbsent = text === 'true';
      continue;
    }
    const parts = allowVariables ? parseTemplate(text, fail) : undefined;
    if (!allowVariables && text.includes('${') && FAMILIES_WITH_VARIABLES.has(definition.family)) {
      fail(`"${text}" looks like a policy variable, but variables need "Version": "2012-10-17"`);
    }
    if (parts) {
      if (!FAMILIES_WITH_VARIABLES.has(definition.family)) fail(`${operatorText} does not take policy variables ("${text}")`);
      compiled.values.push({ kind: 'template', parts });
      continue;
    }
    compiled.values.push(compileStaticValue(definition.family, text, operatorText, keyText, fail));
  }
  if (definition.family === 'Null' && list.length !== 1) fail(`Null on ${keyText} takes exactly one value`);
  return compiled;
}

function compileStaticValue(family: Family, text: string, operatorText: string, keyText: string, fail: (fault: string) => never): PolicyValue {
  switch (family) {
    case 'Numeric':
      if (!DECIMAL_NUMBER.test(text)) fail(`${operatorText} on ${keyText}: "${text}" is not a number`);
      return { kind: 'number', value: Number(text) };
    case 'Date': {
      const value = parseDate(text);
      if (value === undefined) fail(`${operatorText} on ${keyText}: "${text}" is not an ISO 8601 date or epoch seconds`);
      return { kind: 'number', value };
    }
    case 'Bool':
      if (text.toLowerCase() !== 'true' && text.toLowerCase() !== 'false') fail(`Bool on ${keyText} takes "true" or "false", not "${text}"`);
      return { kind: 'text', text: text.toLowerCase() };
    case 'Binary':
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) fail(`BinaryEquals on ${keyText}: "${text}" is not base64`);
      return { kind: 'text', text };
    case 'Ip': {
      const blocks = new BlockList();
      const [address, prefixText, ...rest] = text.split('/');
      const type = isIP(address ?? '');
      const maxPrefix = type === 6 ? 128 : 32;
      const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
      if (type === 0 || rest.length > 0 || !(prefix >= 0 && prefix <= maxPrefix)) fail(`${operatorText} on ${keyText}: "${text}" is not an IP address or CIDR block`);
      blocks.addSubnet(address!, prefix, type === 6 ? 'ipv6' : 'ipv4');
      return { kind: 'ip', blocks, family: type as 4 | 6 };
    }
    case 'StringLike':
      return { kind: 'text', text, pattern: compileWildcardPattern(piecesOfText(text)) };
    case 'Arn':
      return { kind: 'text', text, arn: compileArnPattern(piecesOfText(text)) };
    case 'StringIgnoreCase':
      return { kind: 'text', text: text.toLowerCase() };
    default:
      return { kind: 'text', text };
  }
}

/** ARN components (split at the first five colons) are matched one by one, so a wildcard never spans a colon of the prefix. */
export function compileArnPattern(pieces: PatternPiece[]): WildcardPattern[] {
  const components: PatternPiece[][] = [[]];
  for (const piece of pieces) {
    if (typeof piece !== 'string' || components.length === 6) {
      components[components.length - 1]!.push(piece);
      continue;
    }
    const split = piece.split(':');
    split.forEach((text, index) => {
      if (index > 0) {
        if (components.length === 6) {
          components[5]!.push(':' + text);
          return;
        }
        components.push([]);
      }
      if (text) components[components.length - 1]!.push(text);
    });
  }
  return components.map(compileWildcardPattern);
}

export function matchesArn(components: WildcardPattern[], value: string): boolean {
  return matchesArnComponents(components, splitArn(value), value);
}

/** As {@link matchesArn}, with the value already split (evaluation splits the request resource once). */
export function matchesArnComponents(components: WildcardPattern[], valueComponents: string[], value: string): boolean {
  if (valueComponents.length !== components.length) return components.length === 1 && matchesWildcardPattern(components[0]!, value);
  for (let index = 0; index < components.length; index += 1) if (!matchesWildcardPattern(components[index]!, valueComponents[index]!)) return false;
  return true;
}

export function splitArn(value: string): string[] {
  const parts: string[] = [];
  let position = 0;
  for (let index = 0; index < 5; index += 1) {
    const colon = value.indexOf(':', position);
    if (colon < 0) break;
    parts.push(value.slice(position, colon));
    position = colon + 1;
  }
  parts.push(value.slice(position));
  return parts;
}

/** ISO 8601 dates and times (the forms AWS documents for Date operators) or epoch seconds; not Date.parse's free-form English. */
function parseDate(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!ISO_8601.test(text)) return undefined;
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function suggestOperator(name: string): string {
  const lower = name.toLowerCase();
  const close = Object.keys(CONDITION_OPERATORS).find((candidate) => candidate.toLowerCase() === lower || candidate.toLowerCase().startsWith(lower) || lower.startsWith(candidate.toLowerCase()));
  return close ? ` (did you mean "${close}"?)` : '';
}

/** Whether one context value matches one policy value under the (non-negated) operator. */
function matchesValue(condition: CompiledCondition, contextValue: string, policyValue: PolicyValue, context: RequestContext, record: Record<string, string> | undefined): boolean {
  let value = policyValue;
  if (value.kind === 'template') {
    const resolved = resolveTemplate(value.parts, condition.family, context, record);
    if (resolved === undefined) return false;
    value = resolved;
  }
  switch (condition.family) {
    case 'String':
    case 'Binary':
      return contextValue === (value as { text: string }).text;
    case 'StringIgnoreCase':
      return contextValue.toLowerCase() === (value as { text: string }).text.toLowerCase();
    case 'Bool':
      return contextValue.toLowerCase() === (value as { text: string }).text.toLowerCase();
    case 'StringLike':
      return matchesWildcardPattern((value as { pattern: WildcardPattern }).pattern, contextValue);
    case 'Arn':
      return matchesArn((value as { arn: WildcardPattern[] }).arn, contextValue);
    case 'Numeric':
      return compareNumbers(Number(contextValue), (value as { value: number }).value, condition.comparison, DECIMAL_NUMBER.test(contextValue));
    case 'Date':
      return compareNumbers(parseDate(contextValue) ?? Number.NaN, (value as { value: number }).value, condition.comparison, true);
    case 'Ip': {
      // Node's BlockList would match IPv4 addresses against IPv4-mapped IPv6 ranges (even ::/0); AWS keeps the families apart.
      const ip = value as { blocks: BlockList; family: 4 | 6 };
      return isIP(contextValue) === ip.family && ip.blocks.check(contextValue, ip.family === 6 ? 'ipv6' : 'ipv4');
    }
    default:
      return false;
  }
}

function resolveTemplate(parts: Array<TemplatePart & { escaped?: boolean }>, family: Family, context: RequestContext, record: Record<string, string> | undefined): PolicyValue | undefined {
  const pieces: PatternPiece[] = [];
  let text = '';
  for (const part of parts) {
    if ('literal' in part) {
      text += part.literal;
      if (part.escaped) pieces.push(part.literal);
      else pieces.push(...piecesOfText(part.literal));
      continue;
    }
    const resolved = resolveVariable(part, context, record);
    if (resolved === undefined) return undefined;
    text += resolved;
    pieces.push(resolved);
  }
  if (family === 'StringLike') return { kind: 'text', text, pattern: compileWildcardPattern(pieces) };
  if (family === 'Arn') return { kind: 'text', text, arn: compileArnPattern(pieces) };
  return { kind: 'text', text };
}

function compareNumbers(actual: number, expected: number, comparison: Comparison, valid: boolean): boolean {
  if (!valid || Number.isNaN(actual)) return false;
  switch (comparison) {
    case 'equals':
      return actual === expected;
    case 'lessThan':
      return actual < expected;
    case 'lessThanEquals':
      return actual <= expected;
    case 'greaterThan':
      return actual > expected;
    case 'greaterThanEquals':
      return actual >= expected;
  }
}

/**
 * One operator/key pair of a Condition block against the request, following AWS's rules:
 * values of one key are OR-ed (NOR for negated operators); a missing key makes a plain
 * operator false and a negated one true, IfExists makes it true, ForAllValues is true on an
 * empty or missing set and ForAnyValue false.
 */
export function evaluateCondition(condition: CompiledCondition, context: RequestContext, record?: Record<string, string>): boolean {
  const value = context.get(condition.key);
  // An empty set carries no value: it is treated as a missing key by every operator, not only by Null and ForAllValues.
  const absent = value === undefined || (typeof value !== 'string' && value.length === 0);
  if (condition.family === 'Null') return absent === condition.expectAbsent;
  if (absent) {
    if (condition.setQualifier === 'ForAllValues') return true;
    if (condition.setQualifier === 'ForAnyValue') return condition.ifExists;
    return condition.ifExists || condition.negated;
  }
  if (typeof value === 'string') return satisfies(condition, value, context, record);
  // A plain positive operator on a multi-valued key behaves like ForAnyValue, a plain negated one like ForAllValues.
  const every = condition.setQualifier === 'ForAllValues' || (condition.setQualifier === undefined && condition.negated);
  for (const contextValue of value) {
    const result = satisfies(condition, contextValue, context, record);
    if (every && !result) return false;
    if (!every && result) return true;
  }
  return every;
}

/** One context value against the policy values: OR over them, NOR for a negated operator. */
function satisfies(condition: CompiledCondition, contextValue: string, context: RequestContext, record: Record<string, string> | undefined): boolean {
  for (const policyValue of condition.values) {
    if (matchesValue(condition, contextValue, policyValue, context, record)) return !condition.negated;
  }
  return condition.negated;
}
