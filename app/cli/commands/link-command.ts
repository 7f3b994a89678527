import type { Command } from 'commander';
import { StorageError, type ScopedStorageClient } from '../../library/index.ts';
import type { CliContext } from '../cli-context.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import type { ResolvedPath } from '../location-resolution.ts';
import { duration } from '../option-parsers.ts';

interface LinkOptions {
  cdn?: boolean;
  expires: number;
  download?: boolean;
  inline?: boolean;
}

interface Link {
  url: string;
  /** Undefined for a public file's CDN address, which lives as long as the file. */
  expiresAt: Date | undefined;
  cappedByCredentials?: boolean;
}

const DEFAULT_SECONDS = 3600;

/**
 * A public location's CDN address needs no signature; any other location gets a link the token
 * service signs. The library knows which locations are public (publicUrl refuses the others).
 */
async function cdnLink(client: ScopedStorageClient, path: ResolvedPath, options: { expiresInSeconds: number; disposition?: 'inline' | 'attachment'; expiresGiven: boolean }): Promise<Link> {
  let publicUrl: string | undefined;
  try {
    publicUrl = await client.publicUrl(path.location, path.key);
  } catch (error) {
    if (!(error instanceof StorageError && error.code === 'InvalidLocation')) throw error;
  }
  if (publicUrl !== undefined) {
    if (options.disposition) throw new CliUsageError('ConflictingOptions', `${path.display} is public: its CDN address is the same for everyone and cannot carry --download or --inline. Drop --cdn for a signed link that does.`);
    if (options.expiresGiven) process.stderr.write(`note: ${path.display} is public, its CDN address does not expire (--expires ignored).\n`);
    return { url: publicUrl, expiresAt: undefined };
  }
  const fileName = path.key.split('/').pop();
  const link = await client.cdnLink(path.location, path.key, { expiresInSeconds: options.expiresInSeconds, ...(options.disposition ? { disposition: options.disposition, fileName } : {}) }).catch((error: unknown) => {
    // The token service checks what was typed (a lifetime past the deployment's maximum): a usage error, exit 2.
    if (error instanceof StorageError && error.status === 400) throw new CliUsageError('RefusedRequest', error.message);
    throw error;
  });
  return { url: link.url, expiresAt: link.expiresAt };
}

export function addLinkCommand(program: Command, context: CliContext): void {
  program
    .command('link')
    .description('print a link to a file: signed by your credentials (as share), or with --cdn a CDN link the token service signs (days, cached), or a public file\'s unsigned CDN address')
    .argument('<path>', 'a file, e.g. private:photos/cat.jpg or public:logo.png')
    .option('--cdn', 'through the CDN: a signed link (up to the deployment\'s maximum, 7 days by default), or the unsigned address of a file in a public location')
    .option('-e, --expires <duration>', 'lifetime of the link: 90s, 30m, 12h, 7d, or seconds (default: 1h)', duration)
    .option('--download', 'the browser saves the file (Content-Disposition: attachment)')
    .option('--inline', 'the browser shows the file if it can (Content-Disposition: inline)')
    .addHelpText(
      'after',
      `
Without --cdn the link is the pre-signed S3 link of "share": it works at most as long as the
credentials that signed it (about an hour). With --cdn the token service signs it with the CDN's key,
so it can last days; a file in a public location gets its plain CDN address ("expiresAt": null).

Examples:
  $ scoped-storage link private:photos/cat.jpg --cdn --expires 7d
  $ scoped-storage link public:logo.png --cdn --json
  $ scoped-storage link team:plans/q3.xlsx --expires 10m --download`,
    )
    .action(async (typed: string, options: LinkOptions, command: Command) => {
      if (options.download && options.inline) throw new CliUsageError('ConflictingOptions', 'give at most one of --download and --inline.');
      const client = await context.openClient();
      const path = await context.resolve(typed, 'file');
      const disposition = options.download ? 'attachment' : options.inline ? 'inline' : undefined;
      const expiresInSeconds = options.expires ?? DEFAULT_SECONDS;
      const link: Link = await context.explainingDenial(path, 'read', async () => {
        if (!options.cdn) return client.share(path.location, path.key, { expiresInSeconds, disposition });
        // A CDN link is signed without looking at the file; a typo is better caught here than by whoever opens it.
        await client.properties(path.location, path.key);
        return cdnLink(client, path, { expiresInSeconds, disposition, expiresGiven: command.getOptionValueSource('expires') === 'cli' });
      });
      const note =
        link.expiresAt === undefined
          ? '\n(public: no expiry)'
          : link.cappedByCredentials
            ? `\n(note: valid until ${link.expiresAt.toISOString()} only, when the credentials that signed it expire)`
            : `\nvalid until ${link.expiresAt.toISOString()}`;
      context.print(`${link.url}${note}`, { url: link.url, expiresAt: link.expiresAt?.toISOString() ?? null });
    });
}
