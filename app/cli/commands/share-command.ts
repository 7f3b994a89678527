import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import { positiveInteger } from '../option-parsers.ts';

interface ShareOptions {
  expires: number;
  download?: boolean;
  inline?: boolean;
}

export function addShareCommand(program: Command, context: CliContext): void {
  program
    .command('share')
    .description('print a link that lets anyone download a file until it expires')
    .argument('<path>', 'a file, e.g. team:plans/q3.xlsx')
    .option('-e, --expires <seconds>', 'lifetime of the link in seconds', positiveInteger, 3600)
    .option('--download', 'the browser saves the file (Content-Disposition: attachment)')
    .option('--inline', 'the browser shows the file if it can (Content-Disposition: inline)')
    .action(async (typed: string, options: ShareOptions) => {
      if (options.download && options.inline) throw new CliUsageError('ConflictingOptions', 'give at most one of --download and --inline.');
      const client = await context.openClient();
      const path = await context.resolve(typed, 'file');
      const disposition = options.download ? 'attachment' : options.inline ? 'inline' : undefined;
      const link = await context.explainingDenial(path, 'read', () => client.share(path.location, path.key, { expiresInSeconds: options.expires, disposition }));
      const note = link.cappedByCredentials ? `\n(note: valid until ${link.expiresAt.toISOString()} only, when the credentials that signed it expire)` : `\nvalid until ${link.expiresAt.toISOString()}`;
      context.print(`${link.url}${note}`, { path: path.display, url: link.url, expiresAt: link.expiresAt.toISOString(), cappedByCredentials: link.cappedByCredentials, ...(disposition ? { disposition } : {}) });
    });
}
