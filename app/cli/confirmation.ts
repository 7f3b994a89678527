import { createInterface } from 'node:readline/promises';
import { CliUsageError } from './cli-usage-error.ts';

/** Where a question goes and its answer comes from; interactive only when a person can answer. */
export interface Terminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  interactive: boolean;
}

export function processTerminal(): Terminal {
  return { input: process.stdin, output: process.stderr, interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY) };
}

/**
 * Asks before something that cannot be undone. Without a person to answer (a script, a pipe) it
 * refuses rather than guess: the script says `--yes` if it means it.
 */
export async function confirm(question: string, refusalWithoutTerminal: string, terminal: Terminal): Promise<boolean> {
  if (!terminal.interactive) throw new CliUsageError('ConfirmationRequired', refusalWithoutTerminal);
  const reader = createInterface({ input: terminal.input, output: terminal.output, terminal: false });
  // An input that ends without a line (Ctrl-D) is a no; question() alone would wait forever.
  const closed = new Promise<string>((resolve) => reader.once('close', () => resolve('')));
  try {
    const answer = await Promise.race([reader.question(`${question} [y/N] `), closed]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    reader.close();
  }
}
