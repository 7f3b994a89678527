import { Option, type Command } from 'commander';
import { readStorageOutputsFile } from '../../library/node/create-node-storage-client.ts';
import type { CliContext } from '../cli-context.ts';
import { curlCommand, FILE_PLACEHOLDER } from '../curl-command.ts';
import { byteSize, contentType, duration } from '../option-parsers.ts';

interface UploadLinkOptions {
  maxBytes: number;
  type?: string;
  expires?: number;
  method: 'put' | 'post';
}

export function addUploadLinkCommand(program: Command, context: CliContext): void {
  program
    .command('upload-link')
    .description('print a link that lets someone without an account upload one file into a folder of yours, once')
    .argument('<folder>', 'where the file goes, e.g. private:incoming/ (a fresh name is chosen in it)')
    .requiredOption('--max-bytes <size>', 'largest file the link takes: bytes, or 10MB, 5MiB', byteSize)
    .option('--type <content-type>', 'the only content type the link takes, e.g. image/jpeg (default: any)', contentType)
    .option('-e, --expires <duration>', 'lifetime of the link: 90s, 30m, 12h, 7d, or seconds; never beyond your credentials (default: 15m)', duration)
    .addOption(new Option('--method <method>', 'put: single use (a second upload is refused); post: an HTML form, single key (a second upload before it expires replaces the first)').choices(['put', 'post']).default('put'))
    .addHelpText(
      'after',
      `
The link is signed with your own credentials, so it works at most until they expire (about an
hour); the output says when. The text form is a curl command: replace ${FILE_PLACEHOLDER} with the file.

Examples:
  $ scoped-storage upload-link private:incoming/ --max-bytes 10MB --type image/jpeg --expires 30m
  $ scoped-storage upload-link team:inbox/ --max-bytes 5MiB --method post --json`,
    )
    .action(async (typed: string, options: UploadLinkOptions) => {
      const client = await context.openClient();
      const path = await context.resolve(typed, 'folder');
      const link = await context.explainingDenial(path, 'write', () =>
        client.createUploadLink(path.location, path.key, {
          maxBytes: options.maxBytes,
          ...(options.type ? { contentType: options.type } : {}),
          ...(options.expires ? { expiresInSeconds: options.expires } : {}),
          method: options.method === 'post' ? 'POST' : 'PUT',
        }),
      );
      const expiresAt = link.expiresAt.toISOString();
      if (options.expires !== undefined && link.expiresAt.getTime() < Date.now() + options.expires * 1000 - 60_000) {
        process.stderr.write(`note: the link ends at ${expiresAt}, when the credentials that signed it expire, not after the --expires asked for.\n`);
      }
      const json = { url: link.url, method: link.method, ...(link.fields ? { fields: link.fields } : {}), ...(link.headers ? { headers: link.headers } : {}), key: link.key, expiresAt };
      if (context.json) return context.print('', json);
      const outputs = await readStorageOutputsFile(context.outputsPath());
      const use = link.method === 'PUT' ? 'it works once: a second upload is refused' : 'a second upload before it expires replaces the first';
      const type = options.type ? `, ${options.type}` : '';
      // S3 cannot bound a pre-signed PUT's size; saying "at most" there would promise what nothing enforces.
      const limits = link.method === 'POST' ? `one file of at most ${options.maxBytes} bytes${type}` : `one file${type}; S3 does not enforce --max-bytes on a PUT link, use --method post for that`;
      context.print(`# Upload link for ${path.location.name}:${link.key} (${limits}), valid until ${expiresAt}; ${use}.\n${curlCommand(link, { caCertificate: outputs.caCertificate })}`, json);
    });
}
