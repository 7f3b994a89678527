import { evaluateCondition, matchesArnComponents, splitArn } from './condition-operators.ts';
import type { CompiledPolicy, CompiledPrincipals, CompiledResource, CompiledStatement, PolicyKind } from './compiled-policy.ts';
import { resolveVariable } from './policy-variables.ts';
import type { RequestContext } from './request-context.ts';
import { matchesPieces, matchesWildcardPattern, type PatternPiece } from './wildcard-pattern.ts';

export type Decision = 'Allow' | 'ImplicitDeny' | 'ExplicitDeny';

/** Who is asking, for matching the Principal of resource and trust policies. */
export interface RequestPrincipal {
  /** e.g. `arn:aws:sts::123456789012:assumed-role/Role/session`. */
  arn?: string;
  accountId?: string;
  /** The role an assumed-role session belongs to; a resource policy naming the role matches its sessions. */
  roleArn?: string;
  /** Web identity provider, e.g. `cognito-identity.amazonaws.com`. */
  federated?: string;
  /** AWS service principal, e.g. `lambda.amazonaws.com`. */
  service?: string;
}

export interface EvaluationRequest {
  action: string;
  /** The resource ARN; omitted for trust policies. */
  resource?: string;
  principal?: RequestPrincipal;
  context: RequestContext;
  /** Record the variables resolved on the way (for explanations); off on the hot path. */
  recordVariables?: boolean;
}

/**
 * The policies that bear on one request. Identity and resource policies of the same account
 * are a union of allows; a permissions boundary and session policies, when present, cap what
 * identity policies allow.
 */
export interface PolicySet {
  identityPolicies?: readonly CompiledPolicy[];
  resourcePolicies?: readonly CompiledPolicy[];
  permissionsBoundary?: CompiledPolicy;
  sessionPolicies?: readonly CompiledPolicy[];
}

export interface StatementReference {
  policyName: string;
  policyKind: PolicyKind;
  statementIndex: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
}

export interface EvaluationResult {
  decision: Decision;
  /** The statements that decided: the denies for ExplicitDeny, the allows for Allow; empty for ImplicitDeny. */
  deciding: StatementReference[];
  /** Every statement that applied to the request. */
  matched: StatementReference[];
  /** Variables resolved while evaluating (only with `recordVariables`). */
  variables: Record<string, string>;
  /** For ImplicitDeny: what was missing, e.g. "no identity-based or resource-based policy allows it". */
  reason: string;
}

/**
 * AWS's policy evaluation logic for one account: an explicit deny in any policy wins; otherwise
 * the request is allowed when an identity policy allows it (and the boundary and session
 * policies, if any, allow it too) or a resource policy allows it (a resource policy naming the
 * session directly is not capped by them); otherwise it is implicitly denied.
 */
export function evaluatePolicies(set: PolicySet, request: EvaluationRequest): EvaluationResult {
  const evaluation: Evaluation = {
    request,
    service: serviceOf(request.action),
    action: request.action.toLowerCase(),
    resourceComponents: undefined,
    variables: request.recordVariables ? {} : undefined,
    matched: [],
    denies: [],
    namesSessionDirectly: false,
  };
  const identityAllows = collectAllows(evaluation, set.identityPolicies);
  const resourceAllows = collectAllows(evaluation, set.resourcePolicies);
  const resourceNamesSession = evaluation.namesSessionDirectly;
  const boundaryAllows = set.permissionsBoundary ? collectAllows(evaluation, [set.permissionsBoundary]) : undefined;
  const sessionAllows = set.sessionPolicies && set.sessionPolicies.length > 0 ? collectAllows(evaluation, set.sessionPolicies) : undefined;

  if (evaluation.denies.length > 0) return resultOf(evaluation, 'ExplicitDeny', evaluation.denies, 'an explicit Deny applies');
  const cappedBy: string[] = [];
  if (boundaryAllows !== undefined && boundaryAllows.length === 0) cappedBy.push('the permissions boundary');
  if (sessionAllows !== undefined && sessionAllows.length === 0) cappedBy.push('the session policy');
  if (identityAllows.length > 0 && cappedBy.length === 0) return resultOf(evaluation, 'Allow', identityAllows.concat(resourceAllows), 'allowed');
  if (resourceAllows.length > 0 && (cappedBy.length === 0 || resourceNamesSession)) return resultOf(evaluation, 'Allow', resourceAllows, 'allowed by a resource-based policy');
  if (identityAllows.length > 0 || resourceAllows.length > 0) return resultOf(evaluation, 'ImplicitDeny', [], `allowed by a policy but not by ${cappedBy.join(' and ')}`);
  return resultOf(evaluation, 'ImplicitDeny', [], 'no identity-based or resource-based policy allows it');
}

/** The state of one evaluation, passed explicitly so the hot path creates no closures. */
interface Evaluation {
  request: EvaluationRequest;
  service: string;
  action: string;
  /** The request resource split into ARN components, computed on first need. */
  resourceComponents: string[] | undefined;
  variables: Record<string, string> | undefined;
  matched: StatementReference[];
  denies: StatementReference[];
  /** Whether a resource-policy Allow names the calling session's ARN itself. */
  namesSessionDirectly: boolean;
}

function resultOf(evaluation: Evaluation, decision: Decision, deciding: StatementReference[], reason: string): EvaluationResult {
  return { decision, deciding, matched: evaluation.matched, variables: evaluation.variables ?? {}, reason };
}

function collectAllows(evaluation: Evaluation, policies: readonly CompiledPolicy[] | undefined): StatementReference[] {
  const allows: StatementReference[] = [];
  if (!policies) return allows;
  const sessionArn = evaluation.request.principal?.arn;
  for (const policy of policies) {
    for (const statement of candidates(policy, evaluation.service)) {
      if (!statementApplies(statement, evaluation)) continue;
      const reference = referenceOf(policy, statement);
      evaluation.matched.push(reference);
      if (statement.effect === 'Deny') {
        evaluation.denies.push(reference);
      } else {
        allows.push(reference);
        if (sessionArn !== undefined && statement.principals?.arns.has(sessionArn)) evaluation.namesSessionDirectly = true;
      }
    }
  }
  return allows;
}

function serviceOf(action: string): string {
  const colon = action.indexOf(':');
  return colon < 0 ? action.toLowerCase() : action.slice(0, colon).toLowerCase();
}

/** The statements that can match an action of this service, merged once per service and kept. */
function candidates(policy: CompiledPolicy, service: string): readonly CompiledStatement[] {
  let merged = policy.candidatesByService.get(service);
  if (!merged) {
    const forService = policy.statementsByService.get(service) ?? [];
    const forAny = (policy.statementsByService.get('*') ?? []).filter((statement) => !forService.includes(statement));
    merged = [...forService, ...forAny].sort((a, b) => a.index - b.index);
    policy.candidatesByService.set(service, merged);
  }
  return merged;
}

function referenceOf(policy: CompiledPolicy, statement: CompiledStatement): StatementReference {
  return { policyName: policy.name, policyKind: policy.kind, statementIndex: statement.index, sid: statement.sid, effect: statement.effect };
}

function statementApplies(statement: CompiledStatement, evaluation: Evaluation): boolean {
  let actionMatches = false;
  for (const pattern of statement.actions) {
    if (matchesWildcardPattern(pattern, evaluation.action)) {
      actionMatches = true;
      break;
    }
  }
  if (actionMatches === statement.actionsNegated) return false;
  const { request } = evaluation;
  if (statement.resources) {
    if (request.resource === undefined) return false;
    // An unresolvable variable makes the whole statement not apply, NotResource included, whichever entry holds it.
    for (const variable of statement.resourceVariables) if (resolveVariable(variable, request.context) === undefined) return false;
    let resourceMatches = false;
    for (const resource of statement.resources) {
      if (resourceMatchesRequest(resource, evaluation)) {
        resourceMatches = true;
        break;
      }
    }
    if (resourceMatches === statement.resourcesNegated) return false;
  }
  if (statement.principals && principalMatchesRequest(statement.principals, request.principal) === statement.principalsNegated) return false;
  for (const condition of statement.conditions) if (!evaluateCondition(condition, request.context, evaluation.variables)) return false;
  return true;
}

function resourceMatchesRequest(resource: CompiledResource, evaluation: Evaluation): boolean {
  const value = evaluation.request.resource!;
  if (resource.kind === 'static') {
    if (!value.startsWith(resource.literalPrefix)) return false;
    return matchesArnComponents(resource.components, (evaluation.resourceComponents ??= splitArn(value)), value);
  }
  // Ruling a resource out by its literal prefix skips variable resolution, except when recording them for an explanation.
  if (!evaluation.variables && !value.startsWith(resource.literalPrefix)) return false;
  const pieces: PatternPiece[] = [];
  for (const piece of resource.resourcePieces) {
    if (typeof piece === 'object') {
      const resolved = resolveVariable(piece, evaluation.request.context, evaluation.variables);
      if (resolved === undefined) return false;
      pieces.push(resolved);
    } else {
      pieces.push(piece);
    }
  }
  const components = (evaluation.resourceComponents ??= splitArn(value));
  if (components.length !== 6) return false;
  for (let index = 0; index < 5; index += 1) if (!matchesWildcardPattern(resource.prefixComponents[index]!, components[index]!)) return false;
  return matchesPieces(pieces, components[5]!);
}

function principalMatchesRequest(principals: CompiledPrincipals, principal: RequestPrincipal | undefined): boolean {
  if (principals.any) return true;
  if (!principal) return false;
  if (principal.arn !== undefined) {
    if (principals.arns.has(principal.arn)) return true;
    if (principal.roleArn !== undefined && principals.arns.has(principal.roleArn)) return true;
    if (principal.accountId !== undefined && principals.accounts.has(principal.accountId)) return true;
  }
  if (principal.federated !== undefined && principals.federated.has(principal.federated)) return true;
  if (principal.service !== undefined && principals.services.has(principal.service)) return true;
  return false;
}
