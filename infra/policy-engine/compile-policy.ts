import { compileActions, matchAction, type ActionMatcher } from './action-pattern.ts';
import { compileCondition, type CompiledCondition } from './condition-operators.ts';
import { PolicyFault, PolicyValidationError } from './policy-engine-errors.ts';
import type { PolicyKind, PolicyStatementDocument, PolicyVersion } from './policy-document.ts';
import { compilePrincipal, type PrincipalPattern } from './principal-pattern.ts';
import { compileResource, type ResourcePattern } from './resource-pattern.ts';
import { validatePolicy, type ValidatedStatement } from './validate-policy.ts';

export interface CompiledStatement {
  policyName: string;
  policyKind: PolicyKind;
  index: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  actions: ActionMatcher;
  actionsNegated: boolean;
  resources: ResourcePattern[] | undefined;
  resourcesNegated: boolean;
  principal: PrincipalPattern | undefined;
  principalNegated: boolean;
  conditions: CompiledCondition[];
  /** The statement as written, for explanations. */
  source: PolicyStatementDocument;
}

export interface CompiledPolicy {
  name: string;
  kind: PolicyKind;
  version: PolicyVersion;
  id: string | undefined;
  statements: readonly CompiledStatement[];
  /** Per lower-case service prefix: the statements that can apply to its actions, in policy order. */
  statementsByService: ReadonlyMap<string, readonly CompiledStatement[]>;
  /** The statements that can apply to any service (`*`, `NotAction`): what other services get. */
  anyServiceStatements: readonly CompiledStatement[];
  /** Per lower-case action, filled on first use: the statements whose Action/NotAction admits it. */
  statementsByAction: Map<string, readonly CompiledStatement[]>;
}

export interface CompilePolicyOptions {
  /** Names the policy in errors and explanations. */
  name: string;
  kind: PolicyKind;
}

/**
 * Validates and compiles a policy (JSON text or parsed document) once: wildcards become
 * segment patterns, variables become templates, statements are indexed by service prefix.
 * Throws `PolicyValidationError` for anything AWS would reject or silently never match.
 */
export function compilePolicy(document: unknown, options: CompilePolicyOptions): CompiledPolicy {
  const validated = validatePolicy(document, options.name, options.kind);
  const variables = validated.version === '2012-10-17';
  const statements = validated.statements.map((statement) => {
    try {
      return compileStatement(statement, options, variables);
    } catch (error) {
      if (error instanceof PolicyFault) throw new PolicyValidationError({ policyName: options.name, statementIndex: statement.index, sid: statement.sid }, error.message);
      throw error;
    }
  });
  const { statementsByService, anyServiceStatements } = indexByService(statements);
  return { name: options.name, kind: options.kind, version: validated.version, id: validated.id, statements, statementsByService, anyServiceStatements, statementsByAction: new Map() };
}

/** Actions come from requests, so the per-action index of one policy is bounded. */
const ACTION_INDEX_LIMIT = 4096;

/** The statements of `policy` whose Action/NotAction admits `action` (lower-case; `service` is its prefix), in policy order. */
export function statementsForAction(policy: CompiledPolicy, service: string, action: string): readonly CompiledStatement[] {
  const known = policy.statementsByAction.get(action);
  if (known) return known;
  const candidates = policy.statementsByService.get(service) ?? policy.anyServiceStatements;
  const admitted = candidates.filter((statement) => matchAction(statement.actions, action) !== statement.actionsNegated);
  if (policy.statementsByAction.size < ACTION_INDEX_LIMIT) policy.statementsByAction.set(action, admitted);
  return admitted;
}

function compileStatement(statement: ValidatedStatement, options: CompilePolicyOptions, variables: boolean): CompiledStatement {
  return {
    policyName: options.name,
    policyKind: options.kind,
    index: statement.index,
    sid: statement.sid,
    effect: statement.effect,
    actions: compileActions(statement.actions),
    actionsNegated: statement.actionsNegated,
    resources: statement.resources?.map((resource) => compileResource(resource, variables)),
    resourcesNegated: statement.resourcesNegated,
    principal: statement.principal === undefined ? undefined : compilePrincipal(statement.principal),
    principalNegated: statement.principalNegated,
    conditions: statement.conditions.map(({ operator, key, values }) => compileCondition(operator, key, values, variables)),
    source: statement.source,
  };
}

function indexByService(statements: CompiledStatement[]) {
  const appliesToAnyService = (statement: CompiledStatement) => statement.actionsNegated || statement.actions.matchesEverything;
  const services = new Set(statements.flatMap((statement) => (appliesToAnyService(statement) ? [] : [...statement.actions.services])));
  const statementsByService = new Map<string, CompiledStatement[]>();
  for (const service of services) {
    statementsByService.set(
      service,
      statements.filter((statement) => appliesToAnyService(statement) || statement.actions.services.has(service)),
    );
  }
  return { statementsByService, anyServiceStatements: statements.filter(appliesToAnyService) };
}
