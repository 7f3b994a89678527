/** What `Ref` and `Fn::GetAtt` of one resource resolve to. */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

export interface IntrinsicContext {
  /** The physical id and attributes of a resource by logical id (undefined: not known, an error when referenced). */
  physicalResource: (logicalId: string) => PhysicalResource | undefined;
  region: string;
  accountId: string;
  stackName: string;
  partition?: string;
  urlSuffix?: string;
  /** Template parameter values by name (`Ref` to a parameter). */
  parameters?: Record<string, unknown>;
  /** The template's `Conditions` section, for `Fn::If` and `Condition`. */
  conditions?: Record<string, unknown>;
  /** The template's `Mappings` section, for `Fn::FindInMap`. */
  mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** The parts of a CloudFormation template the resolver reads. */
export interface TemplateSections {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

/** A context for one template: parameters from `parameterValues` or their defaults, plus its conditions and mappings. */
export function templateIntrinsicContext(
  template: TemplateSections,
  physicalResource: IntrinsicContext['physicalResource'],
  options: Omit<IntrinsicContext, 'physicalResource' | 'parameters' | 'conditions' | 'mappings'> & { parameterValues?: Record<string, string> },
): IntrinsicContext {
  const { parameterValues, ...rest } = options;
  const parameters: Record<string, unknown> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = parameterValues?.[name] ?? parameter.Default;
    if (value !== undefined) parameters[name] = value;
  }
  return { ...rest, physicalResource, parameters, conditions: template.Conditions ?? {}, mappings: template.Mappings ?? {} };
}

/** What `{"Ref": "AWS::NoValue"}` resolves to: the property or list item disappears. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves CloudFormation intrinsic functions in a template fragment to plain values, as a
 * deployment would: `Ref` (resources, parameters, pseudo parameters), `Fn::GetAtt`,
 * `Fn::Join`, `Fn::Sub` (both forms), `Fn::Select`, `Fn::Split`, `Fn::If` with template
 * conditions (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`), `Fn::FindInMap`,
 * `Fn::Base64`. Anything else is an error naming it and where it is (`path`, which starts
 * with the logical id when callers pass it).
 */
export function resolveIntrinsics(value: unknown, context: IntrinsicContext, path = '$'): unknown {
  const resolved = resolve(value, context, path);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolve(value: unknown, context: IntrinsicContext, path: string): unknown {
  if (Array.isArray(value)) return value.map((item, index) => resolve(item, context, `${path}[${index}]`)).filter((item) => item !== NO_VALUE);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [name, argument] = entries[0]!;
    if (name === 'Ref' || name.startsWith('Fn::')) return resolveFunction(name, argument, context, path);
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolve(item, context, `${path}.${key}`);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

function pseudoParameter(name: string, context: IntrinsicContext): string | typeof NO_VALUE | undefined {
  const partition = context.partition ?? 'aws';
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return partition;
    case 'AWS::URLSuffix':
      return context.urlSuffix ?? 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:${partition}:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function reference(name: string, context: IntrinsicContext, path: string): unknown {
  const pseudo = pseudoParameter(name, context);
  if (pseudo !== undefined) return pseudo;
  if (context.parameters && Object.hasOwn(context.parameters, name)) return context.parameters[name];
  const resource = context.physicalResource(name);
  if (!resource) throw new TemplateResolutionError(`${path}: Ref to unknown resource or parameter "${name}"`);
  return resource.ref;
}

function attribute(logicalId: string, attributeName: string, context: IntrinsicContext, path: string): string {
  const resource = context.physicalResource(logicalId);
  if (!resource) throw new TemplateResolutionError(`${path}: Fn::GetAtt of unknown resource "${logicalId}"`);
  const value = resource.attributes[attributeName];
  if (value === undefined) throw new TemplateResolutionError(`${path}: resource "${logicalId}" has no attribute "${attributeName}" locally`);
  return value;
}

function asString(value: unknown, path: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateResolutionError(`${path}: expected a string, got ${JSON.stringify(value)}`);
}

function pair(argument: unknown, at: string, shape: string): [unknown, unknown] {
  if (!Array.isArray(argument) || argument.length !== 2) throw new TemplateResolutionError(`${at}: expects ${shape}`);
  return [argument[0], argument[1]];
}

function resolveFunction(name: string, argument: unknown, context: IntrinsicContext, path: string): unknown {
  const at = `${path}.${name}`;
  switch (name) {
    case 'Ref':
      return reference(asString(argument, at), context, at);
    case 'Fn::GetAtt': {
      const [logicalId, attributeName] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/s);
      return attribute(asString(logicalId, at), asString(resolve(attributeName, context, at), at), context, at);
    }
    case 'Fn::Join': {
      const [delimiter, list] = pair(argument, at, '[delimiter, [values]]');
      const values = resolve(list, context, at);
      if (!Array.isArray(values)) throw new TemplateResolutionError(`${at}: the values must be a list`);
      return values.map((item, index) => asString(item, `${at}[${index}]`)).join(asString(delimiter, at));
    }
    case 'Fn::Sub':
      return substitute(argument, context, at);
    case 'Fn::Select': {
      const [rawIndex, rawList] = pair(argument, at, '[index, list]');
      const list = resolve(rawList, context, at);
      const index = Number(resolve(rawIndex, context, at));
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) throw new TemplateResolutionError(`${at}: index out of range`);
      return list[index];
    }
    case 'Fn::Split': {
      const [delimiter, text] = pair(argument, at, '[delimiter, string]');
      return asString(resolve(text, context, at), at).split(asString(delimiter, at));
    }
    case 'Fn::If': {
      if (!Array.isArray(argument) || argument.length !== 3) throw new TemplateResolutionError(`${at}: expects [condition, value if true, value if false]`);
      const branch = condition(asString(argument[0], at), context, at) ? 1 : 2;
      return resolve(argument[branch], context, `${at}[${branch}]`);
    }
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return conditionFunction(name, argument, context, at);
    case 'Fn::FindInMap': {
      if (!Array.isArray(argument) || argument.length !== 3) throw new TemplateResolutionError(`${at}: expects [map, top-level key, second-level key]`);
      const [map, first, second] = argument.map((item, index) => asString(resolve(item, context, `${at}[${index}]`), at)) as [string, string, string];
      const value = context.mappings?.[map]?.[first]?.[second];
      if (value === undefined) throw new TemplateResolutionError(`${at}: no mapping ${map}.${first}.${second}`);
      return value;
    }
    case 'Fn::Base64':
      return Buffer.from(asString(resolve(argument, context, at), at)).toString('base64');
    default:
      throw new TemplateResolutionError(`${at}: ${name} is not supported by the template resolver`);
  }
}

function substitute(argument: unknown, context: IntrinsicContext, at: string): string {
  const [template, variables] = Array.isArray(argument) ? [argument[0], argument[1] ?? {}] : [argument, {}];
  const resolvedVariables = resolve(variables, context, at) as Record<string, unknown>;
  return asString(template, at).replace(/\$\{([^}]+)\}/g, (_whole, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    if (Object.hasOwn(resolvedVariables, expression)) return asString(resolvedVariables[expression], at);
    const dot = expression.indexOf('.');
    if (dot > 0 && !expression.startsWith('AWS::')) return attribute(expression.slice(0, dot), expression.slice(dot + 1), context, at);
    return asString(reference(expression, context, at), at);
  });
}

/** Evaluates a named template condition (guarding against conditions that refer to themselves). */
function condition(name: string, context: IntrinsicContext, at: string, evaluating: Set<string> = new Set()): boolean {
  const definition = context.conditions?.[name];
  if (definition === undefined) throw new TemplateResolutionError(`${at}: unknown condition "${name}"`);
  if (evaluating.has(name)) throw new TemplateResolutionError(`${at}: condition "${name}" refers to itself`);
  evaluating.add(name);
  const value = conditionValue(definition, context, `Conditions.${name}`, evaluating);
  evaluating.delete(name);
  return value;
}

function conditionValue(definition: unknown, context: IntrinsicContext, at: string, evaluating: Set<string>): boolean {
  if (typeof definition === 'object' && definition !== null && !Array.isArray(definition)) {
    const [name, argument] = Object.entries(definition)[0] ?? [];
    if (name === 'Condition') return condition(asString(argument, at), context, at, evaluating);
    if (name !== undefined) return conditionFunction(name, argument, context, `${at}.${name}`, evaluating);
  }
  const value = resolve(definition, context, at);
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new TemplateResolutionError(`${at}: expected a condition, got ${JSON.stringify(definition)}`);
}

function conditionFunction(name: string, argument: unknown, context: IntrinsicContext, at: string, evaluating: Set<string> = new Set()): boolean {
  if (name === 'Fn::Equals') {
    const [left, right] = pair(argument, at, '[value, value]');
    // CloudFormation compares the values as strings ("1" equals 1).
    const text = (value: unknown) => (typeof value === 'object' ? JSON.stringify(value) : String(value));
    return text(resolve(left, context, at)) === text(resolve(right, context, at));
  }
  if (!Array.isArray(argument) || argument.length === 0) throw new TemplateResolutionError(`${at}: expects a list of conditions`);
  const values = argument.map((item, index) => conditionValue(item, context, `${at}[${index}]`, evaluating));
  if (name === 'Fn::And') return values.every(Boolean);
  if (name === 'Fn::Or') return values.some(Boolean);
  if (name === 'Fn::Not' && values.length === 1) return !values[0];
  throw new TemplateResolutionError(`${at}: ${name} is not a condition function`);
}
