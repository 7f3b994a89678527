/** What `Ref` and `Fn::GetAtt` of one resource resolve to. */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

export interface IntrinsicContext {
  physicalResource: (logicalId: string) => PhysicalResource | undefined;
  region: string;
  accountId: string;
  stackName: string;
  partition?: string;
  urlSuffix?: string;
}

export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

/**
 * Resolves CloudFormation intrinsic functions in a template fragment to plain values, as a
 * deployment would: `Ref` (resources and pseudo parameters), `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Sub` (both forms), `Fn::Select`, `Fn::Split`. Anything else is an error naming it.
 */
export function resolveIntrinsics(value: unknown, context: IntrinsicContext, path = '$'): unknown {
  if (Array.isArray(value)) return value.map((item, index) => resolveIntrinsics(item, context, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [name, argument] = entries[0]!;
    if (name === 'Ref' || name.startsWith('Fn::')) return resolveFunction(name, argument, context, path);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, context, `${path}.${key}`)]));
}

function pseudoParameter(name: string, context: IntrinsicContext): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return context.partition ?? 'aws';
    case 'AWS::URLSuffix':
      return context.urlSuffix ?? 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:${context.partition ?? 'aws'}:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::NoValue':
      return undefined;
    default:
      return undefined;
  }
}

function reference(name: string, context: IntrinsicContext, path: string): string {
  const pseudo = pseudoParameter(name, context);
  if (pseudo !== undefined) return pseudo;
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

function resolveFunction(name: string, argument: unknown, context: IntrinsicContext, path: string): unknown {
  const at = `${path}.${name}`;
  switch (name) {
    case 'Ref':
      return reference(asString(argument, at), context, at);
    case 'Fn::GetAtt': {
      const [logicalId, attributeName] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/s);
      return attribute(asString(logicalId, at), asString(resolveIntrinsics(attributeName, context, at), at), context, at);
    }
    case 'Fn::Join': {
      if (!Array.isArray(argument) || argument.length !== 2) throw new TemplateResolutionError(`${at}: expects [delimiter, [values]]`);
      const values = resolveIntrinsics(argument[1], context, at);
      if (!Array.isArray(values)) throw new TemplateResolutionError(`${at}: the values must be a list`);
      return values.map((item, index) => asString(item, `${at}[${index}]`)).join(asString(argument[0], at));
    }
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(argument) ? [argument[0], argument[1] ?? {}] : [argument, {}];
      const resolvedVariables = resolveIntrinsics(variables, context, at) as Record<string, unknown>;
      return asString(template, at).replace(/\$\{([^}]+)\}/g, (whole, expression: string) => {
        if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
        if (expression in resolvedVariables) return asString(resolvedVariables[expression], at);
        const dot = expression.indexOf('.');
        if (dot > 0 && !expression.startsWith('AWS::')) return attribute(expression.slice(0, dot), expression.slice(dot + 1), context, at);
        return reference(expression, context, at);
      });
    }
    case 'Fn::Select': {
      if (!Array.isArray(argument) || argument.length !== 2) throw new TemplateResolutionError(`${at}: expects [index, list]`);
      const list = resolveIntrinsics(argument[1], context, at);
      const index = Number(resolveIntrinsics(argument[0], context, at));
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) throw new TemplateResolutionError(`${at}: index out of range`);
      return list[index];
    }
    case 'Fn::Split': {
      if (!Array.isArray(argument) || argument.length !== 2) throw new TemplateResolutionError(`${at}: expects [delimiter, string]`);
      return asString(resolveIntrinsics(argument[1], context, at), at).split(asString(argument[0], at));
    }
    default:
      throw new TemplateResolutionError(`${at}: the local cloud does not resolve ${name}`);
  }
}
