import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../../app/cli/cli-usage-error.ts';
import { confirm } from '../../../app/cli/confirmation.ts';

function terminalAnswering(answer: string | undefined, interactive = true) {
  const input = new PassThrough();
  const output = new PassThrough();
  let asked = '';
  output.on('data', (chunk: Buffer) => (asked += chunk.toString()));
  if (answer === undefined) input.end();
  else input.end(`${answer}\n`);
  return { terminal: { input, output, interactive }, asked: () => asked };
}

describe('confirmation before a delete', () => {
  it('asks the question and takes y or yes, in any case', async () => {
    for (const answer of ['y', 'Y', 'yes', ' YES ']) {
      const { terminal, asked } = terminalAnswering(answer);
      expect(await confirm('Delete 3 files?', 'use --yes', terminal), answer).toBe(true);
      expect(asked()).toBe('Delete 3 files? [y/N] ');
    }
  });

  it('anything else, an empty line or a closed input is no', async () => {
    for (const answer of ['n', '', 'yess', 'ok', undefined]) {
      const { terminal } = terminalAnswering(answer);
      expect(await confirm('Delete 3 files?', 'use --yes', terminal), String(answer)).toBe(false);
    }
  });

  it('without a terminal it refuses with the message given, asking nothing', async () => {
    const { terminal, asked } = terminalAnswering('y', false);
    const refusal = confirm('Delete 3 files?', 'team:plans/ holds 3 files; run with --yes to delete them without a terminal.', terminal);
    await expect(refusal).rejects.toBeInstanceOf(CliUsageError);
    await expect(refusal).rejects.toMatchObject({ code: 'ConfirmationRequired', message: expect.stringContaining('--yes') });
    expect(asked()).toBe('');
  });
});
