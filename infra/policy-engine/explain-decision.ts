import { describe, type DecisionReason, type EvaluationResult, type StatementReference } from './evaluate-policy.ts';

/** A few lines for people (the admin CLI `explain`): decision, why, deciding statements, variables used. */
export function explainDecision(result: EvaluationResult): string {
  const lines = [`${result.decision}: ${result.action} on ${result.resource}`, `  why: ${reasonText(result)}`];
  if (result.deciding.length > 0) {
    lines.push('  deciding statements:');
    for (const statement of result.deciding) lines.push(`    ${line(statement)}`);
  }
  const others = result.matchedStatements.filter((statement) => !result.deciding.includes(statement));
  if (others.length > 0) {
    lines.push('  other statements that applied:');
    for (const statement of others) lines.push(`    ${line(statement)}`);
  }
  const variables = Object.entries(result.variables);
  if (variables.length > 0) {
    lines.push('  policy variables:');
    for (const [name, value] of variables) lines.push(`    \${${name}} = ${value === null ? '(no value: entries using it did not match)' : JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

function reasonText(result: EvaluationResult): string {
  const first = result.deciding[0] ?? result.matchedStatements.find((statement) => statement.effect === 'Allow');
  const texts: Record<DecisionReason, string> = {
    'explicit-deny': `explicitly denied by ${first ? describe(first) : 'a statement'}; an explicit deny always wins`,
    'allowed-naming-caller': `allowed by ${first ? describe(first) : 'a resource policy'}, which names the caller's own session or user ARN, so no permissions boundary or session policy limits it`,
    allowed: `allowed by ${first ? describe(first) : 'a statement'}, and no policy denies it`,
    'no-allow': 'no identity or resource policy allows it (implicit deny)',
    'not-allowed-by-boundary': `allowed by ${first ? describe(first) : 'a policy'}, but the permissions boundary "${result.permissionsBoundary ?? ''}" does not allow it`,
    'not-allowed-by-session-policy': `allowed by ${first ? describe(first) : 'a policy'}, but no session policy allows it`,
  };
  return texts[result.reason];
}

function line(statement: StatementReference): string {
  const principal = statement.principalMatch ? ` (principal matched as ${statement.principalMatch})` : '';
  return `${statement.effect.padEnd(5)} ${describe(statement)}${principal}`;
}
