import type { PublishedLocation } from '../access-rules/index.ts';
import type { EvaluationResult, StatementReference } from '../policy-engine/index.ts';
import { buildAccessMatrix } from './access-matrix.ts';
import type { Expectation } from './expectations.ts';
import { locationLabel } from './location-keys.ts';
import { decideForPersona } from './persona-request.ts';
import { findPersona, keyFor, type Persona } from './personas.ts';
import type { StackPolicies } from './stack-policies.ts';

/** One concrete request both templates are asked about. */
interface AccessQuestion {
  persona: Persona;
  operation: string;
  key: string;
  /** The location's name on the side the question came from, or undefined outside every location. */
  location: string | undefined;
  /** The matrix's key class (`shared (shared/)`), or the location's label and `file:line "expectation"`. */
  keyClass: string;
}

/** A request whose decision differs between the base and the new template. */
export interface AccessChange {
  persona: string;
  operation: string;
  key: string;
  location: string | undefined;
  keyClass: string;
  /** The statements that allow it, on the side where it is allowed (the new one for newly allowed). */
  allowedBy: string[];
  /** The explicit denies on the side where it is denied; empty for an implicit deny. */
  deniedBy: string[];
  /** Why the denying side denies it. */
  deniedBecause: string;
}

export interface AccessDiff {
  newlyAllowed: AccessChange[];
  newlyDenied: AccessChange[];
  /** How many distinct requests were compared. */
  compared: number;
}

/**
 * Compares what two templates allow: every persona x operation x key class of either side's
 * matrix, plus the requests of the expectations, each asked of both sides. Requests are matched
 * on (persona, operation, concrete key), so a location that exists on one side only is still
 * judged by the other side's policies (usually a deny) instead of being skipped.
 */
export function diffAccess(base: StackPolicies, next: StackPolicies, expectations: readonly Expectation[] = [], expectationsSource = 'expectations'): AccessDiff {
  const questions = new Map<string, AccessQuestion>();
  // The new side first: its labels win for a request both sides ask (a renamed location reads as now).
  for (const stack of [next, base]) {
    for (const cell of buildAccessMatrix(stack)) {
      addQuestion(questions, { persona: findPersona(cell.persona), operation: cell.operation, key: cell.key, location: cell.location, keyClass: cell.keyClass });
    }
  }
  for (const expectation of expectations) {
    const persona = findPersona(expectation.persona);
    const key = keyFor(expectation.keyTemplate, persona);
    const location = locationOfKey(key, [...next.locations, ...base.locations]);
    const where = location ? locationLabel(location) : 'outside every location';
    addQuestion(questions, { persona, operation: expectation.operation, key, location: location?.name, keyClass: `${where}: ${expectationsSource}:${expectation.line} "${expectation.text}"` });
  }

  const newlyAllowed: AccessChange[] = [];
  const newlyDenied: AccessChange[] = [];
  for (const question of questions.values()) {
    const before = decideForPersona(base, question.persona, question.operation, question.key);
    const after = decideForPersona(next, question.persona, question.operation, question.key);
    if (before.allowed === after.allowed) continue;
    const [allowing, denying] = after.allowed ? [after, before] : [before, after];
    const refusal = denying.checks.find((check) => check.result.decision !== 'Allow')!.result;
    const change: AccessChange = {
      persona: question.persona.name,
      operation: question.operation,
      key: question.key,
      location: question.location,
      keyClass: question.keyClass,
      allowedBy: unique(allowing.checks.flatMap((check) => check.result.deciding.map(statementName))),
      deniedBy: refusal.decision === 'ExplicitDeny' ? refusal.deciding.map(statementName) : [],
      deniedBecause: denialReason(refusal),
    };
    (after.allowed ? newlyAllowed : newlyDenied).push(change);
  }
  return { newlyAllowed, newlyDenied, compared: questions.size };
}

function addQuestion(questions: Map<string, AccessQuestion>, question: AccessQuestion): void {
  const id = JSON.stringify([question.persona.name, question.operation, question.key]);
  if (!questions.has(id)) questions.set(id, question);
}

/** The location whose prefix the key starts with; `{identityId}` and `{tag:...}` match one segment. */
function locationOfKey(key: string, locations: readonly PublishedLocation[]): PublishedLocation | undefined {
  return locations.find((location) => {
    const pattern = location.prefix
      .split(/(\{identityId\}|\{tag:[^}]+\})/)
      .map((part, index) => (index % 2 === 1 ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${pattern}`).test(key);
  });
}

/** A statement's Sid, or its policy and position when it has none. */
function statementName(statement: StatementReference): string {
  return statement.sid ?? `${statement.policyName}[${statement.index}]`;
}

function denialReason(result: EvaluationResult): string {
  switch (result.reason) {
    case 'explicit-deny':
      return 'explicit deny';
    case 'not-allowed-by-boundary':
      return 'not allowed by the permissions boundary';
    case 'not-allowed-by-session-policy':
      return 'not allowed by the session policy';
    default:
      return 'no statement allows it (implicit deny)';
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Newly allowed first (what needs a human's approval), then newly denied; one line per request. */
export function renderAccessDiff(diff: AccessDiff, expectationsSource?: string): string {
  const row = (change: AccessChange, allowed: boolean) => {
    const why = allowed
      ? `allowed by ${change.allowedBy.join(', ')}; before: ${change.deniedBy.length ? `denied by ${change.deniedBy.join(', ')}` : change.deniedBecause}`
      : `was allowed by ${change.allowedBy.join(', ')}; now: ${change.deniedBy.length ? `denied by ${change.deniedBy.join(', ')}` : change.deniedBecause}`;
    return `  ${change.persona} ${change.operation} ${change.key}\n    ${change.keyClass}\n    ${why}`;
  };
  const section = (title: string, changes: AccessChange[], allowed: boolean) =>
    changes.length === 0 ? [`${title}: none`] : [`${title} (${changes.length}):`, ...changes.map((change) => row(change, allowed))];
  return [
    ...section('NEWLY ALLOWED', diff.newlyAllowed, true),
    '',
    ...section('NEWLY DENIED', diff.newlyDenied, false),
    '',
    `${diff.compared} requests compared: each persona x operation x key class of either template${expectationsSource === undefined ? '' : `, and the requests of ${expectationsSource}`}.`,
  ].join('\n');
}
