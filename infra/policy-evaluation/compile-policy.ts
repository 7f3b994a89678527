import { compileArnPattern, compileCondition } from './condition-operators.ts';
import type { CompiledPolicy, CompiledPrincipals, CompiledResource, CompiledStatement, PolicyKind } from './compiled-policy.ts';
import { PolicyValidationError } from './policy-validation-error.ts';
import { parseTemplate, type TemplatePart } from './policy-variables.ts';
import { ANY_RUN, compileWildcardPattern, piecesOfText, type PatternPiece } from './wildcard-pattern.ts';

const TOP_LEVEL_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition']);
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);
const ACTION_PATTERN = /^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/;

/**
 * Validates and compiles a policy document once, so evaluating it needs no parsing: wildcards
 * are split, variables located, condition values parsed, statements indexed by service.
 * Anything AWS would reject, or would quietly never match, is a {@link PolicyValidationError}.
 */
export function compilePolicy(name: string, document: unknown, kind: PolicyKind): CompiledPolicy {
  const failPolicy = (fault: string): never => {
    throw new PolicyValidationError(name, undefined, fault);
  };
  const parsed = typeof document === 'string' ? parseJson(document, failPolicy) : document;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) failPolicy('the policy document is not a JSON object');
  const record = parsed as Record<string, unknown>;
  for (const element of Object.keys(record)) {
    if (!TOP_LEVEL_ELEMENTS.has(element)) failPolicy(`unknown top-level element "${element}" (expected Version, Id, Statement)`);
  }
  const version = record.Version === undefined ? '2008-10-17' : record.Version;
  if (typeof version !== 'string' || !VERSIONS.has(version)) failPolicy(`unsupported Version "${String(record.Version)}"; use "2012-10-17"`);
  const rawStatements = record.Statement === undefined ? failPolicy('the policy has no Statement') : Array.isArray(record.Statement) ? record.Statement : [record.Statement];
  if (rawStatements.length === 0) failPolicy('Statement is empty');

  const statements = rawStatements.map((statement, index) => compileStatement(name, kind, version as string, statement, index));
  const sids = new Set<string>();
  for (const statement of statements) {
    if (statement.sid === undefined) continue;
    if (sids.has(statement.sid)) throw new PolicyValidationError(name, statement.sid, 'duplicate Sid');
    sids.add(statement.sid);
  }
  return { name, kind, version: version as string, statements, statementsByService: indexByService(statements), candidatesByService: new Map() };
}

function compileStatement(policyName: string, kind: PolicyKind, version: string, raw: unknown, index: number): CompiledStatement {
  const label = () => (typeof (raw as { Sid?: unknown })?.Sid === 'string' ? `"${(raw as { Sid: string }).Sid}" (#${index})` : `#${index}`);
  const fail = (fault: string): never => {
    throw new PolicyValidationError(policyName, label(), fault);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('a statement must be a JSON object');
  const statement = raw as Record<string, unknown>;
  for (const element of Object.keys(statement)) {
    if (!STATEMENT_ELEMENTS.has(element)) fail(`unknown element "${element}"`);
  }
  if (statement.Sid !== undefined && (typeof statement.Sid !== 'string' || !/^[A-Za-z0-9 ._-]*$/.test(statement.Sid))) fail('Sid must be a string of letters and digits');
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') fail(`Effect must be "Allow" or "Deny", not ${JSON.stringify(statement.Effect)}`);

  const allowVariables = version === '2012-10-17';
  const [actionTexts, actionsNegated] = exactlyOne(statement, 'Action', 'NotAction', fail);
  for (const action of actionTexts) {
    if (action !== '*' && !ACTION_PATTERN.test(action)) fail(`"${action}" is not an action such as s3:GetObject`);
  }

  let resources: CompiledResource[] | undefined;
  let resourcesNegated = false;
  if (kind === 'trust') {
    if (statement.Resource !== undefined || statement.NotResource !== undefined) fail('a trust policy takes no Resource');
  } else {
    const [resourceTexts, negated] = exactlyOne(statement, 'Resource', 'NotResource', fail);
    resourcesNegated = negated;
    resources = resourceTexts.map((text) => compileResource(text, allowVariables, fail));
  }

  let principals: CompiledPrincipals | undefined;
  let principalsNegated = false;
  const takesPrincipal = kind === 'resource' || kind === 'trust';
  if (takesPrincipal) {
    if ((statement.Principal === undefined) === (statement.NotPrincipal === undefined)) fail(`a ${kind} policy statement needs exactly one of Principal and NotPrincipal`);
    principalsNegated = statement.NotPrincipal !== undefined;
    principals = compilePrincipals(statement.Principal ?? statement.NotPrincipal, fail);
  } else if (statement.Principal !== undefined || statement.NotPrincipal !== undefined) {
    fail(`an ${kind} policy takes no Principal (it applies to whoever it is attached to)`);
  }

  const conditions = [];
  if (statement.Condition !== undefined) {
    if (typeof statement.Condition !== 'object' || statement.Condition === null || Array.isArray(statement.Condition)) fail('Condition must be an object of operators');
    for (const [operatorText, block] of Object.entries(statement.Condition as Record<string, unknown>)) {
      if (typeof block !== 'object' || block === null || Array.isArray(block)) fail(`Condition operator "${operatorText}" must map condition keys to values`);
      for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
        conditions.push(compileCondition(operatorText, key, values, allowVariables, fail));
      }
    }
  }

  return {
    index,
    sid: statement.Sid as string | undefined,
    effect: statement.Effect as 'Allow' | 'Deny',
    actions: actionTexts.map((action) => compileWildcardPattern(piecesOfText(action.toLowerCase()))),
    actionsNegated,
    actionTexts,
    resources,
    resourcesNegated,
    resourceVariables: (resources ?? []).flatMap((resource) => (resource.kind === 'template' ? resource.resourcePieces.filter((piece) => typeof piece === 'object') : [])),
    principals,
    principalsNegated,
    conditions,
    source: statement,
  };
}

function exactlyOne(statement: Record<string, unknown>, element: string, negatedElement: string, fail: (fault: string) => never): [string[], boolean] {
  const value = statement[element];
  const negatedValue = statement[negatedElement];
  if ((value === undefined) === (negatedValue === undefined)) fail(`needs exactly one of ${element} and ${negatedElement}`);
  const chosen = value ?? negatedValue;
  const list = Array.isArray(chosen) ? chosen : [chosen];
  if (list.length === 0) fail(`${value === undefined ? negatedElement : element} is empty`);
  for (const item of list) if (typeof item !== 'string' || item === '') fail(`${value === undefined ? negatedElement : element} must hold non-empty strings`);
  return [list as string[], value === undefined];
}

function compileResource(text: string, allowVariables: boolean, fail: (fault: string) => never): CompiledResource {
  if (text !== '*' && !/^arn:[^:]*:[^:]*:[^:]*:[^:]*:.+$/.test(text)) fail(`"${text}" is not a resource ARN (arn:partition:service:region:account:resource) or "*"`);
  if (!allowVariables && text.includes('${')) fail(`"${text}" uses a policy variable, which needs "Version": "2012-10-17"`);
  const [service] = text.split(':').slice(2, 3);
  if (service !== undefined && /[*?]/.test(service) && text !== '*') fail(`"${text}" has a wildcard in the service part of the ARN`);
  const parts = allowVariables ? parseTemplate(text, fail) : undefined;
  const literalPrefix = text.slice(0, Math.min(...['*', '?', '${'].map((marker) => (text.includes(marker) ? text.indexOf(marker) : text.length))));
  if (parts) return compileTemplateResource(text, parts, literalPrefix, fail);
  return { kind: 'static', components: text === '*' ? [compileWildcardPattern([ANY_RUN])] : compileArnPattern(piecesOfText(text)), text, literalPrefix };
}

function compileTemplateResource(text: string, parts: Array<TemplatePart & { escaped?: boolean }>, literalPrefix: string, fail: (fault: string) => never): CompiledResource {
  const colons = literalPrefix.split(':').length - 1;
  if (colons < 5) fail(`"${text}": policy variables are only supported in the resource part of the ARN (after the fifth colon)`);
  const resourceStart = nthIndexOf(text, ':', 5) + 1;
  const prefixComponents = compileArnPattern(piecesOfText(text.slice(0, resourceStart) + 'x')).slice(0, 5);
  const resourcePieces: Array<PatternPiece | { variable: string; defaultValue?: string }> = [];
  let consumed = 0;
  for (const part of parts) {
    if ('variable' in part) {
      resourcePieces.push(part);
      continue;
    }
    const overlap = Math.max(0, resourceStart - consumed);
    const literal = part.literal.slice(Math.min(overlap, part.literal.length));
    consumed += part.literal.length;
    if (literal) resourcePieces.push(...(part.escaped ? [literal] : piecesOfText(literal)));
  }
  return { kind: 'template', text, literalPrefix, prefixComponents, resourcePieces };
}

function nthIndexOf(text: string, character: string, count: number): number {
  let index = -1;
  for (let found = 0; found < count; found += 1) index = text.indexOf(character, index + 1);
  return index;
}

function compilePrincipals(raw: unknown, fail: (fault: string) => never): CompiledPrincipals {
  const principals: CompiledPrincipals = { any: false, accounts: new Set(), arns: new Set(), federated: new Set(), services: new Set() };
  if (raw === '*') {
    principals.any = true;
    return principals;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('Principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}');
  for (const [type, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!PRINCIPAL_TYPES.has(type)) fail(`unknown principal type "${type}" (expected AWS, Federated, Service or CanonicalUser)`);
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      if (typeof item !== 'string' || item === '') fail(`Principal ${type} must hold non-empty strings`);
      if (type === 'AWS') {
        if (item === '*') principals.any = true;
        else if (/^\d{12}$/.test(item)) principals.accounts.add(item);
        else if (/^arn:[^:]+:iam::\d{12}:root$/.test(item)) principals.accounts.add(item.split(':')[4]!);
        else if (/[*?]/.test(item)) fail(`Principal "${item}": wildcards are not allowed in principal ARNs (only "*" on its own)`);
        else if (/^arn:[^:]+:(iam|sts)::\d{12}:.+$/.test(item)) principals.arns.add(item);
        else fail(`Principal "${item}" is neither an account id nor an IAM or STS ARN`);
      } else if (type === 'Federated') {
        principals.federated.add(item);
      } else if (type === 'Service') {
        principals.services.add(item);
      } else {
        principals.arns.add(`canonical:${item}`);
      }
    }
  }
  return principals;
}

function indexByService(statements: CompiledStatement[]): Map<string, CompiledStatement[]> {
  const index = new Map<string, CompiledStatement[]>();
  const add = (service: string, statement: CompiledStatement) => {
    const list = index.get(service) ?? [];
    if (!list.includes(statement)) list.push(statement);
    index.set(service, list);
  };
  for (const statement of statements) {
    const services = statement.actionsNegated ? ['*'] : statement.actionTexts.map((action) => (action === '*' ? '*' : action.split(':')[0]!.toLowerCase()));
    for (const service of services) add(/[*?]/.test(service) ? '*' : service, statement);
  }
  return index;
}

function parseJson(text: string, fail: (fault: string) => never): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON: ${(error as Error).message}`);
  }
}
