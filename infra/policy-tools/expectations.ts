import { explainDecision } from '../policy-engine/index.ts';
import { decideForPersona, parseOperation, type Operation, type S3Action } from './persona-request.ts';
import type { PublishedLocation } from '../access-rules/index.ts';
import { resolveLocationKey } from './location-keys.ts';
import { findPersona, keyFor } from './personas.ts';
import type { StackPolicies } from './stack-policies.ts';

/** One line of an expectations file: `<persona> can|cannot <operation> [<location>:]<key>`. */
export interface Expectation {
  line: number;
  text: string;
  persona: string;
  allowed: boolean;
  /** An operation name, or an S3 action as AWS spells it. */
  operation: Operation | S3Action;
  /** The key with placeholders, a `location:` resolved to the location's prefix. */
  keyTemplate: string;
}

interface ExpectationOutcome {
  expectation: Expectation;
  key: string;
  actuallyAllowed: boolean;
  explanation: string;
}

export class ExpectationSyntaxError extends Error {
  override readonly name = 'ExpectationSyntaxError';
}

/**
 * Parses an expectations file. Blank lines and `#` comments are ignored; every other line must
 * read like "owner can put users/{self}/a.txt", "guest cannot list shared/" or, naming a
 * location of the stack, "other can get protected:{self}/photo.jpg" (see resolveLocationKey).
 */
export function parseExpectations(text: string, source = 'expectations', locations: readonly PublishedLocation[] = []): Expectation[] {
  const expectations: Expectation[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const match = /^(\S+)\s+(can|cannot)\s+(\S+)(?:\s+(\S+))?$/.exec(line);
    if (!match) throw new ExpectationSyntaxError(`${source}:${index + 1}: expected "<persona> can|cannot <operation> [<location>:]<key>", got "${raw.trim()}"`);
    let operation: Operation | S3Action;
    let keyTemplate: string;
    try {
      findPersona(match[1]!);
      operation = parseOperation(match[3]!);
      // Only a listing has a meaning without a key (the bucket root); elsewhere a missing key is a slip.
      if (match[4] === undefined && operation !== 'list' && operation !== 's3:ListBucket') throw new ExpectationSyntaxError(`"${match[3]!}" needs a key (only list may omit it, to list the bucket root)`);
      keyTemplate = resolveLocationKey(match[4] ?? '', locations);
    } catch (error) {
      throw new ExpectationSyntaxError(`${source}:${index + 1}: ${(error as Error).message}`);
    }
    expectations.push({ line: index + 1, text: line, persona: match[1]!, allowed: match[2] === 'can', operation, keyTemplate });
  });
  if (expectations.length === 0) throw new ExpectationSyntaxError(`${source}: no expectations found`);
  return expectations;
}

export function checkExpectations(stack: StackPolicies, expectations: Expectation[]): ExpectationOutcome[] {
  return expectations.map((expectation) => {
    const persona = findPersona(expectation.persona);
    const key = keyFor(expectation.keyTemplate, persona);
    const decision = decideForPersona(stack, persona, expectation.operation, key);
    const explanation = decision.checks.map((check) => explainDecision(check.result).split('\n').slice(0, 2).join(' /')).join('; ');
    return { expectation, key, actuallyAllowed: decision.allowed, explanation };
  });
}

export function renderExpectationReport(outcomes: ExpectationOutcome[], source: string): { text: string; violations: number } {
  const violations = outcomes.filter((outcome) => outcome.actuallyAllowed !== outcome.expectation.allowed);
  const lines = violations.map(
    (outcome) =>
      `VIOLATED ${source}:${outcome.expectation.line}: "${outcome.expectation.text}" but the policies ${outcome.actuallyAllowed ? 'ALLOW' : 'DENY'} it\n         key ${outcome.key}: ${outcome.explanation}`,
  );
  lines.push(`${outcomes.length - violations.length} of ${outcomes.length} expectations hold${violations.length ? `, ${violations.length} violated` : ''}.`);
  return { text: lines.join('\n'), violations: violations.length };
}
