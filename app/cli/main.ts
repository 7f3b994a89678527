import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { StorageError } from '../library/index.ts';
import { refuseUnsupportedNode } from '../library/node/supported-node-version.ts';
import { CliContext, DEFAULT_OUTPUTS } from './cli-context.ts';
import { defaultCliStateDirectory } from './cli-session.ts';
import { CliUsageError } from './cli-usage-error.ts';
import { addBrowseCommands } from './commands/browse-commands.ts';
import { addFolderCommands } from './commands/folder-commands.ts';
import { addLinkCommand } from './commands/link-command.ts';
import { addSessionCommands } from './commands/session-commands.ts';
import { addShareCommand } from './commands/share-command.ts';
import { addTransferCommands } from './commands/transfer-commands.ts';
import { addUploadLinkCommand } from './commands/upload-link-command.ts';
import { EXIT_CODES, exitCodeFor } from './exit-codes.ts';

refuseUnsupportedNode();

const program = new Command('scoped-storage')
  .description('Read and write files in S3 with short-lived credentials of your Cognito identity, in the locations the access rules give you.')
  .option('-o, --outputs <path>', `outputs file of the deployment (local cloud or cdk deploy --outputs-file) (default: SCOPED_STORAGE_OUTPUTS, else ${DEFAULT_OUTPUTS})`)
  .option('--json', 'print machine-readable JSON')
  .option('--home <dir>', 'where the CLI keeps its session (user-only files)', defaultCliStateDirectory())
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Paths: [location:]key, e.g. shared:handbook.pdf, team:plans/q3.xlsx, protected:<identityId>/photo.jpg;
a path without location: is in your own location. In cp and mv a side without location: is a local file.

Examples:
  $ scoped-storage login --user alice --tenant acme   # local development sign-in
  $ scoped-storage login --guest                      # where the deployment allows guests
  $ scoped-storage locations
  $ scoped-storage cp ./photo.jpg private:photos/     # upload (refuses to replace without --force)
  $ scoped-storage cp team:plans/q3.xlsx ./           # download
  $ scoped-storage cp private:photos/photo.jpg team:photos/photo.jpg
  $ scoped-storage mv team:plans/draft.txt team:archive/
  $ scoped-storage ls team:plans/
  $ scoped-storage ls shared: --recursive --json
  $ scoped-storage stat team:plans/q3.xlsx
  $ scoped-storage mkdir team:plans/2026/
  $ scoped-storage rm --recursive team:plans/2025/ --yes
  $ scoped-storage share photos/photo.jpg --expires 600 --download
  $ scoped-storage link photos/photo.jpg --cdn --expires 7d   # a CDN link the token service signs
  $ scoped-storage link public:logo.png --cdn                 # a public file's unsigned CDN address
  $ scoped-storage upload-link private:incoming/ --max-bytes 10MB --type image/jpeg   # a curl command for someone else
  $ scoped-storage lookup bob                         # bob's identity id, for protected:<id>/ paths
  $ scoped-storage ls protected:<identityId>/

Exit codes: 0 ok, 1 failure, 2 usage, 3 not signed in, 4 access denied, 5 not found, 6 conflict (exists already: --force), 7 network, 8 expired, 130 cancelled (Ctrl-C).`,
  );

const context = new CliContext(program);
addSessionCommands(program, context);
addBrowseCommands(program, context);
addTransferCommands(program, context);
addFolderCommands(program, context);
addShareCommand(program, context);
addLinkCommand(program, context);
addUploadLinkCommand(program, context);

let failure: unknown;
try {
  await program.parseAsync(process.argv);
} catch (error) {
  failure = error;
  // InvalidArgumentError is a CommanderError, but one thrown by an action was never printed by commander.
  if (error instanceof InvalidArgumentError || error instanceof CliUsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = EXIT_CODES.usage;
  } else if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.usage;
  } else if (error instanceof StorageError && error.code === 'SignInRequired' && error.status === 401 && context.usingStoredSession) {
    process.stderr.write('error: Your session is no longer valid: sign in again with `storage login` (npm run storage -- login --user <name>).\n');
    process.exitCode = EXIT_CODES.signInRequired;
  } else if (error instanceof StorageError && error.code === 'Expired' && context.usingStoredSession) {
    // Saved credentials S3 refused (expired, or unknown to a local cloud that was reset) are dropped below.
    process.stderr.write(`error: ${error.message}\nThe saved credentials are dropped: run the command again (after a reset of the local cloud, sign in again).\n`);
    process.exitCode = exitCodeFor(error.code);
  } else if (error instanceof StorageError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = exitCodeFor(error.code);
  } else {
    process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = EXIT_CODES.failure;
  }
}
// Saving credentials for the next command is a saving, never a reason to fail this one.
await context.saveCredentials(failure).catch(() => undefined);
