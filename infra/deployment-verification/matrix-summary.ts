import type { Attempt } from './matrix-attempts.ts';

/** The matrix's figures and its violations. */
export interface MatrixSummary {
  attempts: number;
  forbidden: Attempt[];
  forbiddenAllowed: Attempt[];
  /** Forbidden attempts answered with something other than AccessDenied (not a success, but not the expected denial either). */
  forbiddenOdd: Attempt[];
  controls: Attempt[];
  controlsPassed: Attempt[];
  controlsRefused: Attempt[];
  confined: Attempt[];
  leaks: Attempt[];
  damaged: string[];
  byPersona: Record<string, number>;
}

export function summarizeMatrix(attempts: Attempt[], damaged: string[]): MatrixSummary {
  const forbidden = attempts.filter((entry) => entry.expectation === 'deny');
  const controls = attempts.filter((entry) => entry.expectation === 'allow');
  const byPersona: Record<string, number> = {};
  for (const entry of attempts) byPersona[entry.persona] = (byPersona[entry.persona] ?? 0) + 1;
  return {
    attempts: attempts.length,
    forbidden,
    forbiddenAllowed: forbidden.filter((entry) => entry.outcome === 'allowed'),
    forbiddenOdd: forbidden.filter((entry) => entry.outcome === 'other'),
    controls,
    controlsPassed: controls.filter((entry) => entry.outcome === 'allowed'),
    controlsRefused: controls.filter((entry) => entry.outcome !== 'allowed'),
    confined: attempts.filter((entry) => entry.expectation === 'confined'),
    leaks: attempts.filter((entry) => entry.detail.startsWith('LEAK')),
    damaged,
    byPersona,
  };
}

/** A breach of the rules: a forbidden success, a leak, a damaged sentinel or a refused allowed operation. */
export function hasViolations(summary: MatrixSummary): boolean {
  return summary.forbiddenAllowed.length + summary.leaks.length + summary.damaged.length + summary.controlsRefused.length > 0;
}

/** The one-line figures the reliability suite prints and the README quotes. */
export function matrixFigures(summary: MatrixSummary): string {
  return (
    `attempts: ${summary.attempts}, forbidden attempts allowed: ${summary.forbiddenAllowed.length}, allowed controls passed: ${summary.controlsPassed.length}` +
    ` (of ${summary.controls.length} controls; ${summary.forbidden.length} forbidden attempts, ${summary.forbiddenOdd.length} answered other than AccessDenied;` +
    ` ${summary.confined.length} confined literal-key attempts, ${summary.leaks.length} leaks; sentinels damaged: ${summary.damaged.length}; per persona ${JSON.stringify(summary.byPersona)})`
  );
}

export function describeAttempt(entry: Attempt): string {
  return `${entry.persona} ${entry.operation} [${entry.keyClass}] -> ${entry.outcome}: ${entry.detail}`;
}

/** A table by operation: forbidden (denied / allowed / other), controls (passed / refused), confined, leaks. */
export function matrixTable(attempts: Attempt[]): string {
  const rows = new Map<string, { forbiddenDenied: number; forbiddenAllowed: number; forbiddenOther: number; controlsPassed: number; controlsRefused: number; confined: number; leaks: number }>();
  for (const entry of attempts) {
    const operation = entry.operation.replace(/ \(delimiter \/\)$/, '');
    const row = rows.get(operation) ?? { forbiddenDenied: 0, forbiddenAllowed: 0, forbiddenOther: 0, controlsPassed: 0, controlsRefused: 0, confined: 0, leaks: 0 };
    if (entry.expectation === 'deny') {
      if (entry.outcome === 'allowed') row.forbiddenAllowed += 1;
      else if (entry.outcome === 'denied') row.forbiddenDenied += 1;
      else row.forbiddenOther += 1;
    } else if (entry.expectation === 'allow') {
      if (entry.outcome === 'allowed') row.controlsPassed += 1;
      else row.controlsRefused += 1;
    } else row.confined += 1;
    if (entry.detail.startsWith('LEAK')) row.leaks += 1;
    rows.set(operation, row);
  }
  const header = ['operation', 'forbidden denied', 'FORBIDDEN ALLOWED', 'forbidden other', 'allowed passed', 'ALLOWED REFUSED', 'confined', 'LEAKS'];
  const lines = [...rows].map(([operation, row]) => [operation, row.forbiddenDenied, row.forbiddenAllowed, row.forbiddenOther, row.controlsPassed, row.controlsRefused, row.confined, row.leaks].map(String));
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}
