import type { EvaluationRequest, EvaluationResult, StatementReference } from './evaluate-policy.ts';

function describeStatement(reference: StatementReference): string {
  return `${reference.effect} in ${reference.policyKind} policy "${reference.policyName}", statement ${reference.sid ? `"${reference.sid}"` : `#${reference.statementIndex}`}`;
}

/** A few lines a person can read: the decision, why, which statements, and the variables as resolved. */
export function explainDecision(request: Pick<EvaluationRequest, 'action' | 'resource'>, result: EvaluationResult): string {
  const lines = [`${result.decision}: ${request.action} on ${request.resource ?? '(no resource)'}`, `  why: ${result.reason}`];
  if (result.deciding.length > 0) {
    lines.push('  decided by:');
    for (const reference of result.deciding) lines.push(`    - ${describeStatement(reference)}`);
  }
  const others = result.matched.filter((reference) => !result.deciding.includes(reference));
  if (others.length > 0) {
    lines.push('  also applied:');
    for (const reference of others) lines.push(`    - ${describeStatement(reference)}`);
  }
  const variables = Object.entries(result.variables);
  if (variables.length > 0) {
    lines.push('  variables:');
    for (const [name, value] of variables) lines.push(`    \${${name}} = ${value}`);
  }
  return lines.join('\n');
}
