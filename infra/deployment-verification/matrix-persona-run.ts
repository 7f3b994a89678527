import type { AnswerCheck } from './matrix-attempts.ts';
import type { Expectation } from './matrix-key-classes.ts';
import type { MatrixWorld, Persona } from './matrix-world.ts';

/** One attempt of the persona's, recorded with its key class's expectation. */
export type PersonaAttempt = <T>(operation: string, keyClass: { name: string; expectation: Expectation }, call: () => Promise<T>, check?: AnswerCheck<T>) => Promise<void>;

/** What a family of attempts needs for one persona: the world, the persona, how to record an attempt and remember a written key. */
export interface PersonaRun {
  world: MatrixWorld;
  persona: Persona;
  attempt: PersonaAttempt;
  /** Remembers a key the run wrote, for the clean-up. */
  wrote: (key: string) => void;
  /** The body a write carries. */
  sent: string;
}
