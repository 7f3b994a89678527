import { statementsForAction, type CompiledPolicy, type CompiledStatement } from './compile-policy.ts';
import type { PolicyKind } from './policy-document.ts';
import { exemptedByNotPrincipal, matchPrincipal, PrincipalFacts, type PrincipalMatch, type RequestPrincipal } from './principal-pattern.ts';
import { RequestContext, type ContextRecord } from './request-context.ts';
import { matchResource } from './resource-pattern.ts';

export interface EvaluationRequest {
  /** `service:Action`, any case. */
  action: string;
  /** The resource ARN (case-sensitive). */
  resource: string;
  /** The caller, for Principal/NotPrincipal of resource and trust policies. */
  principal?: RequestPrincipal;
  /** Condition keys (any case) as AWS sends them; booleans, numbers and dates are strings. */
  context: ContextRecord;
}

/**
 * The policies that apply to one request. Identity policies and resource (or trust)
 * policies are a union of allows; a permissions boundary and session policies, when given,
 * must also allow; an explicit deny in any of them wins.
 */
export interface PolicySet {
  identityPolicies: readonly CompiledPolicy[];
  resourcePolicies?: readonly CompiledPolicy[];
  /** Together one session policy (inline plus managed session policies are a union). */
  sessionPolicies?: readonly CompiledPolicy[];
  permissionsBoundary?: CompiledPolicy;
}

export type Decision = 'Allow' | 'ImplicitDeny' | 'ExplicitDeny';

/** Why the decision came out as it did (turned into words by `explainDecision`). */
export type DecisionReason =
  | 'explicit-deny'
  /** A resource policy names the caller's session or user ARN: no boundary or session policy limits it. */
  | 'allowed-naming-caller'
  | 'allowed'
  | 'no-allow'
  | 'not-allowed-by-boundary'
  | 'not-allowed-by-session-policy';

export interface StatementReference {
  policyName: string;
  policyKind: PolicyKind;
  index: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  /** For resource and trust policy statements: how the Principal element named the caller. */
  principalMatch?: PrincipalMatch;
}

export interface EvaluationResult {
  decision: Decision;
  reason: DecisionReason;
  /** The statements that decided: the denies, or the allows that together grant. */
  deciding: StatementReference[];
  /** Every statement that applied to the request. */
  matchedStatements: StatementReference[];
  /** Policy variables resolved while evaluating: value, default used, or null when unresolvable. */
  variables: Record<string, string | null>;
  action: string;
  resource: string;
  /** Names the permissions boundary, for explanations of `not-allowed-by-boundary`. */
  permissionsBoundary: string | undefined;
}

/** Principal matches that grant on their own; `account` only delegates to the account's identity policies. */
const GRANTING: ReadonlySet<PrincipalMatch | undefined> = new Set<PrincipalMatch | undefined>(['exact', 'role', 'federated', 'service', 'everyone']);

/**
 * AWS's policy evaluation logic within one account:
 * 1. an applicable Deny in any policy -> ExplicitDeny;
 * 2. a resource policy Allow naming the caller's session or user ARN itself -> Allow, not limited
 *    by the permissions boundary or session policy (they apply to the role, not the session);
 * 3. otherwise an Allow from an identity policy or a resource policy (naming the role, a
 *    provider, a service or `*`) -> Allow, provided the boundary and the session policies allow too;
 * 4. else ImplicitDeny.
 */
export function evaluatePolicies(set: PolicySet, request: EvaluationRequest): EvaluationResult {
  const action = request.action.toLowerCase();
  const colon = action.indexOf(':');
  const service = colon < 0 ? action : action.slice(0, colon);
  const context = new RequestContext(request.context, request.resource);
  const facts = set.resourcePolicies?.length && request.principal ? new PrincipalFacts(request.principal) : undefined;
  const boundaryAttached = set.permissionsBoundary !== undefined;
  const sessionLimited = set.sessionPolicies !== undefined && set.sessionPolicies.length > 0;

  const matched: StatementReference[] = [];
  collectMatches(matched, set.identityPolicies, service, action, context, facts, boundaryAttached);
  if (set.resourcePolicies) collectMatches(matched, set.resourcePolicies, service, action, context, facts, boundaryAttached);
  if (set.permissionsBoundary) collectMatches(matched, [set.permissionsBoundary], service, action, context, facts, boundaryAttached);
  if (sessionLimited) collectMatches(matched, set.sessionPolicies!, service, action, context, facts, boundaryAttached);

  let denied = false;
  let namesCaller = false;
  let granted = false;
  let boundaryAllows = false;
  let sessionAllows = false;
  for (const statement of matched) {
    if (statement.effect === 'Deny') denied = true;
    else if (statement.principalMatch === 'exact') namesCaller = true;
    else if (isGrant(statement)) granted = true;
    else if (statement.policyKind === 'boundary') boundaryAllows = true;
    else if (statement.policyKind === 'session') sessionAllows = true;
  }

  let decision: Decision = 'ImplicitDeny';
  let reason: DecisionReason;
  let deciding: StatementReference[] = [];
  if (denied) {
    decision = 'ExplicitDeny';
    reason = 'explicit-deny';
    deciding = matched.filter((statement) => statement.effect === 'Deny');
  } else if (namesCaller) {
    decision = 'Allow';
    reason = 'allowed-naming-caller';
    deciding = matched.filter((statement) => statement.principalMatch === 'exact');
  } else if (!granted) reason = 'no-allow';
  else if (boundaryAttached && !boundaryAllows) reason = 'not-allowed-by-boundary';
  else if (sessionLimited && !sessionAllows) reason = 'not-allowed-by-session-policy';
  else {
    decision = 'Allow';
    reason = 'allowed';
    deciding = matched.filter((statement) => statement.effect === 'Allow' && (isGrant(statement) || statement.policyKind === 'boundary' || statement.policyKind === 'session'));
  }
  return {
    decision,
    reason,
    deciding,
    matchedStatements: matched,
    variables: context.variables,
    action: request.action,
    resource: request.resource,
    permissionsBoundary: set.permissionsBoundary?.name,
  };
}

function isGrant(statement: StatementReference): boolean {
  return statement.policyKind === 'identity' || ((statement.policyKind === 'resource' || statement.policyKind === 'trust') && GRANTING.has(statement.principalMatch));
}

function collectMatches(matched: StatementReference[], policies: readonly CompiledPolicy[], service: string, action: string, context: RequestContext, facts: PrincipalFacts | undefined, boundaryAttached: boolean): void {
  for (const policy of policies) {
    for (const statement of statementsForAction(policy, service, action)) {
      const principalMatch = applies(statement, context, facts, boundaryAttached);
      if (principalMatch !== undefined) matched.push(reference(statement, principalMatch));
    }
  }
}

/**
 * For a statement whose action already matched: undefined when it does not apply, else how
 * its Principal named the caller (null: no Principal element).
 */
function applies(statement: CompiledStatement, context: RequestContext, facts: PrincipalFacts | undefined, boundaryAttached: boolean): PrincipalMatch | null | undefined {
  if (statement.resources) {
    const matched = anyResourceMatches(statement, context);
    // An entry with an unresolvable variable proves nothing, so NotResource cannot apply either.
    if (statement.resourcesNegated ? matched !== false : matched !== true) return undefined;
  }
  let principalMatch: PrincipalMatch | null = null;
  if (statement.principal) {
    if (statement.principalNegated) {
      // AWS documents that a NotPrincipal Deny always denies principals with a permissions boundary.
      if (!boundaryAttached && exemptedByNotPrincipal(statement.principal, facts)) return undefined;
    } else {
      const match = matchPrincipal(statement.principal, facts);
      if (match === undefined) return undefined;
      principalMatch = match;
    }
  }
  for (const condition of statement.conditions) if (!condition.evaluate(context)) return undefined;
  return principalMatch;
}

/** True if an entry matches, false if none does, undefined if none does but one had an unresolvable variable. */
function anyResourceMatches(statement: CompiledStatement, context: RequestContext): boolean | undefined {
  let unresolved = false;
  for (const pattern of statement.resources!) {
    const matched = matchResource(pattern, context);
    if (matched === true) return true;
    if (matched === undefined) unresolved = true;
  }
  return unresolved ? undefined : false;
}

function reference(statement: CompiledStatement, principalMatch: PrincipalMatch | null): StatementReference {
  const { policyName, policyKind, index, sid, effect } = statement;
  return principalMatch === null ? { policyName, policyKind, index, sid, effect } : { policyName, policyKind, index, sid, effect, principalMatch };
}

export function describe(statement: StatementReference): string {
  return `${statement.policyKind} policy "${statement.policyName}" statement ${statement.sid === undefined ? `#${statement.index}` : `"${statement.sid}"`}`;
}
