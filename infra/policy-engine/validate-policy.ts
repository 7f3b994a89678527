import { PolicyValidationError } from './policy-engine-errors.ts';
import { describeUnknownAction, findUnknownAction } from './known-actions.ts';
import { POLICY_ELEMENTS, STATEMENT_ELEMENTS, type PolicyKind, type PolicyStatementDocument, type PolicyVersion, type PrincipalDocument } from './policy-document.ts';

/** A statement whose shape is valid, with every list normalized to an array. */
export interface ValidatedStatement {
  index: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  actions: string[];
  actionsNegated: boolean;
  /** Undefined only in trust policies, which have no Resource. */
  resources: string[] | undefined;
  resourcesNegated: boolean;
  /** Undefined in identity, boundary and session policies, which have no Principal. */
  principal: PrincipalDocument | undefined;
  principalNegated: boolean;
  conditions: Array<{ operator: string; key: string; values: string[] }>;
  source: PolicyStatementDocument;
}

interface ValidatedPolicy {
  name: string;
  kind: PolicyKind;
  version: PolicyVersion;
  id: string | undefined;
  statements: ValidatedStatement[];
}

const VERSIONS: readonly string[] = ['2012-10-17', '2008-10-17'];
const PRINCIPAL_POLICY_KINDS: readonly PolicyKind[] = ['resource', 'trust'];

/**
 * Checks the IAM JSON grammar of a policy (a JSON text or a parsed document): known
 * elements only, the right combinations for the policy kind, and actions that exist (for the
 * services in `known-actions/`). Other element values (action syntax, ARNs, principals,
 * condition operators) are checked when they are compiled.
 */
export function validatePolicy(input: unknown, name: string, kind: PolicyKind): ValidatedPolicy {
  const fail = (fault: string): never => {
    throw new PolicyValidationError({ policyName: name }, fault);
  };
  let document = input;
  if (typeof input === 'string') {
    try {
      document = JSON.parse(input);
    } catch (error) {
      fail(`not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(document)) return fail('a policy must be a JSON object');
  for (const element of Object.keys(document)) {
    if (!(POLICY_ELEMENTS as readonly string[]).includes(element)) fail(`unknown policy element "${element}" (expected ${POLICY_ELEMENTS.join(', ')})`);
  }
  // AWS reads a policy without Version as 2008-10-17.
  const version = document.Version ?? '2008-10-17';
  if (typeof version !== 'string' || !VERSIONS.includes(version)) fail(`unsupported Version ${JSON.stringify(version)} (expected "2012-10-17" or "2008-10-17")`);
  if (document.Id !== undefined && typeof document.Id !== 'string') fail('Id must be a string');
  const statements = document.Statement === undefined ? fail('missing Statement') : Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (statements.length === 0) fail('Statement is empty');
  const sids = new Set<string>();
  const validated = statements.map((statement, index) => validateStatement(statement, index, name, kind));
  for (const statement of validated) {
    if (statement.sid === undefined) continue;
    if (sids.has(statement.sid)) throw new PolicyValidationError({ policyName: name, statementIndex: statement.index, sid: statement.sid }, `duplicate Sid "${statement.sid}"`);
    sids.add(statement.sid);
  }
  return { name, kind, version: version as PolicyVersion, id: document.Id as string | undefined, statements: validated };
}

function validateStatement(statement: unknown, index: number, policyName: string, kind: PolicyKind): ValidatedStatement {
  const sid = isObject(statement) && typeof statement.Sid === 'string' ? statement.Sid : undefined;
  const fail = (fault: string): never => {
    throw new PolicyValidationError({ policyName, statementIndex: index, sid }, fault);
  };
  if (!isObject(statement)) return fail('a statement must be a JSON object');
  for (const element of Object.keys(statement)) {
    if (!(STATEMENT_ELEMENTS as readonly string[]).includes(element)) fail(`unknown statement element "${element}" (expected ${STATEMENT_ELEMENTS.join(', ')})`);
  }
  if (statement.Sid !== undefined && typeof statement.Sid !== 'string') fail('Sid must be a string');
  const effect = statement.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') fail(`Effect must be "Allow" or "Deny", got ${JSON.stringify(effect)}`);

  const action = exactlyOne(statement, 'Action', 'NotAction', fail);
  if (!action) return fail('missing Action (or NotAction)');

  const resource = exactlyOne(statement, 'Resource', 'NotResource', fail);
  if (kind === 'trust' && resource) fail(`${resource.element} is not allowed in a trust policy`);
  if (kind !== 'trust' && !resource) fail('missing Resource (or NotResource)');

  const principal = exactlyOne(statement, 'Principal', 'NotPrincipal', fail);
  const takesPrincipal = PRINCIPAL_POLICY_KINDS.includes(kind);
  if (!takesPrincipal && principal) fail(`${principal.element} is not allowed in ${kind === 'identity' ? 'an' : 'a'} ${kind} policy`);
  if (takesPrincipal && !principal) fail(`missing Principal (or NotPrincipal), required in a ${kind} policy`);
  if (principal?.element === 'NotPrincipal' && (effect !== 'Deny' || kind === 'trust')) fail('NotPrincipal is allowed only with "Effect": "Deny" in a resource policy');

  const actions = stringList(action.value, action.element, fail);
  // AWS accepts a misspelt action and silently never matches it; refuse it here.
  for (const name of actions) {
    const unknown = findUnknownAction(name);
    if (unknown) fail(`${action.element}: ${describeUnknownAction(unknown)}`);
  }

  return {
    index,
    sid,
    effect: effect as 'Allow' | 'Deny',
    actions,
    actionsNegated: action.element === 'NotAction',
    resources: resource ? stringList(resource.value, resource.element, fail) : undefined,
    resourcesNegated: resource?.element === 'NotResource',
    principal: principal?.value as PrincipalDocument | undefined,
    principalNegated: principal?.element === 'NotPrincipal',
    conditions: statement.Condition === undefined ? [] : conditionList(statement.Condition, fail),
    source: statement as unknown as PolicyStatementDocument,
  };
}

function exactlyOne(statement: Record<string, unknown>, element: string, negated: string, fail: (fault: string) => never): { element: string; value: unknown } | undefined {
  if (statement[element] !== undefined && statement[negated] !== undefined) fail(`a statement cannot have both ${element} and ${negated}`);
  if (statement[element] !== undefined) return { element, value: statement[element] };
  if (statement[negated] !== undefined) return { element: negated, value: statement[negated] };
  return undefined;
}

function stringList(value: unknown, element: string, fail: (fault: string) => never): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) fail(`${element} must be a non-empty string or a non-empty list of strings`);
  return list as string[];
}

function conditionList(condition: unknown, fail: (fault: string) => never): ValidatedStatement['conditions'] {
  if (!isObject(condition)) return fail('Condition must be an object of operator -> {key: value(s)}');
  const conditions: ValidatedStatement['conditions'] = [];
  for (const [operator, block] of Object.entries(condition)) {
    if (!isObject(block) || Object.keys(block).length === 0) fail(`Condition ${operator} must be a non-empty object of key -> value(s)`);
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      const values = Array.isArray(raw) ? raw : [raw];
      if (values.length === 0 || values.some((value) => !['string', 'number', 'boolean'].includes(typeof value))) fail(`Condition ${operator} "${key}" must be a string, number, boolean or a non-empty list of them`);
      conditions.push({ operator, key, values: values.map(String) });
    }
  }
  return conditions;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
