import type { Expectation } from './matrix-key-classes.ts';
import type { PersonaName } from './matrix-world.ts';

export type Outcome = 'allowed' | 'denied' | 'other';

export interface Attempt {
  persona: PersonaName;
  operation: string;
  keyClass: string;
  expectation: Expectation;
  outcome: Outcome;
  detail: string;
}

/** How an S3 failure counts: AccessDenied (or a bare 403 on a HEAD) is the denial; anything else is "other". */
export function classifyFailure(error: unknown): { outcome: Outcome; detail: string } {
  const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  // HEAD answers carry no body, so the SDK cannot name the code: a bare 403 there is the denial.
  if (failure.name === 'AccessDenied' || (status === 403 && ['Forbidden', '403', 'Unknown'].includes(failure.name ?? ''))) return { outcome: 'denied', detail: `403 ${failure.name}` };
  return { outcome: 'other', detail: `${status ?? '-'} ${failure.name}: ${failure.message}` };
}

/** A check of a successful answer: an outcome, or a description of a violation (e.g. a foreign secret in the answer). */
export type AnswerCheck<T> = (value: T) => Promise<Outcome | string> | Outcome | string;

/** Runs attempts one at a time and records each outcome. */
export class AttemptRecorder {
  readonly attempts: Attempt[] = [];

  record(persona: PersonaName, operation: string, keyClass: { name: string; expectation: Expectation }, outcome: Outcome, detail: string): void {
    this.attempts.push({ persona, operation, keyClass: keyClass.name, expectation: keyClass.expectation, outcome, detail });
  }

  async attempt<T>(persona: PersonaName, operation: string, keyClass: { name: string; expectation: Expectation }, call: () => Promise<T>, check?: AnswerCheck<T>): Promise<void> {
    try {
      const value = await call();
      const checked = check ? await check(value) : 'allowed';
      if (checked === 'allowed' || checked === 'denied' || checked === 'other') this.record(persona, operation, keyClass, checked, 'ok');
      else this.record(persona, operation, keyClass, 'other', checked);
    } catch (error) {
      const { outcome, detail } = classifyFailure(error);
      this.record(persona, operation, keyClass, outcome, detail);
    }
  }
}
