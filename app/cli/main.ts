import { lstat, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { StorageError, type ScopedStorageClient } from '../library/index.ts';
import { createNodeStorageClient, readStorageOutputsFile } from '../library/node/create-node-storage-client.ts';
import { downloadToFile } from '../library/node/download-to-file.ts';
import { FileResumeStore } from '../library/node/file-resume-store.ts';
import { fileSource } from '../library/node/file-source.ts';
import { refuseUnsupportedNode } from '../library/node/supported-node-version.ts';
import { defaultCliStateDirectory, readCliSession, writeCliSession } from './cli-session.ts';
import { EXIT_CODES, exitCodeFor } from './exit-codes.ts';
import { objectExists } from './object-existence.ts';
import { createTransferProgress } from './transfer-progress.ts';
import { userPath } from './user-directory.ts';

interface GlobalOptions {
  outputs?: string;
  json?: boolean;
  home: string;
}

const DEFAULT_OUTPUTS = '.local/outputs.json';

refuseUnsupportedNode();

const program = new Command('scoped-storage')
  .description('Read and write your own files in S3 with short-lived credentials of your Cognito identity.')
  .option('-o, --outputs <path>', `outputs file of the deployment (local cloud or cdk deploy --outputs-file) (default: SCOPED_STORAGE_OUTPUTS, else ${DEFAULT_OUTPUTS})`)
  .option('--json', 'print machine-readable JSON')
  .option('--home <dir>', 'where the CLI keeps its session (user-only files)', defaultCliStateDirectory())
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  $ scoped-storage login --user alice            # local development sign-in
  $ scoped-storage upload ./photo.jpg photos/photo.jpg
  $ scoped-storage ls photos/
  $ scoped-storage get photos/photo.jpg ./copy.jpg
  $ scoped-storage share photos/photo.jpg --expires 600
  $ scoped-storage rm photos/photo.jpg
  $ scoped-storage whoami --json

Exit codes: 0 ok, 1 failure, 2 usage, 3 not signed in, 4 access denied, 5 not found, 6 conflict, 7 network, 8 expired.`,
  );

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

/**
 * Paths the user gives are theirs (see userPath); the default outputs file is the repository's,
 * where `npm run storage` runs and `npm start` writes it.
 */
function outputsPath(): string {
  const given = globals().outputs ?? process.env.SCOPED_STORAGE_OUTPUTS;
  return given === undefined ? DEFAULT_OUTPUTS : userPath(given);
}

const homeDirectory = (): string => userPath(globals().home);

/**
 * Set once a command works with a session signed in earlier: when the token service refuses it
 * (its signing secret changed with a reset of the local cloud, or it expired), the way out is to
 * sign in again, whatever the service's reason.
 */
let usingStoredSession = false;

function print(humanText: string, json: unknown): void {
  process.stdout.write(globals().json ? `${JSON.stringify(json)}\n` : `${humanText}\n`);
}

async function openClient(options: { justSignedIn?: boolean } = {}): Promise<ScopedStorageClient> {
  const home = homeDirectory();
  const session = await readCliSession(home);
  if (!session) throw new StorageError('SignInRequired', 'Not signed in. Run "scoped-storage login --user <name>" (local) or "scoped-storage login --token <session token>".');
  usingStoredSession = !options.justSignedIn;
  return createNodeStorageClient(outputsPath(), { getSessionToken: () => session.sessionToken, resumeStore: new FileResumeStore(join(home, 'uploads.json')) });
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return parsed;
}

program
  .command('login')
  .description('sign in: with the local development sign-in (--user), or with an app session token (--token)')
  .option('-u, --user <name>', 'user to sign in as (local cloud only)')
  .option('-t, --tenant <tenant>', 'tenant of the user (local cloud only)')
  .option('--token <sessionToken>', 'an app session token issued by your backend')
  .action(async (options: { user?: string; tenant?: string; token?: string }) => {
    if (!options.user === !options.token) throw new InvalidArgumentError('give exactly one of --user or --token.');
    let sessionToken = options.token;
    if (options.user) {
      const outputs = await readStorageOutputsFile(outputsPath());
      const response = await fetch(`${outputs.tokenServiceUrl}/v1/dev/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: options.user, ...(options.tenant ? { tenant: options.tenant } : {}) }),
      }).catch((error: unknown) => {
        throw new StorageError('Network', `Could not reach the token service at ${outputs.tokenServiceUrl}; is "npm start" running?`, { cause: error });
      });
      const body = (await response.json().catch(() => ({}))) as { sessionToken?: string; error?: { message?: string } };
      if (!response.ok || !body.sessionToken) throw new StorageError('SignInRequired', `Sign-in refused: ${body.error?.message ?? `HTTP ${response.status}`}`);
      sessionToken = body.sessionToken;
    }
    await writeCliSession(homeDirectory(), { sessionToken: sessionToken!, user: options.user, signedInAt: new Date().toISOString() });
    const identity = await (await openClient({ justSignedIn: true })).whoami();
    print(`Signed in${options.user ? ` as ${options.user}` : ''}: identity ${identity.identityId}`, { signedIn: true, user: options.user, identityId: identity.identityId });
  });

program
  .command('whoami')
  .description('show your identity id, your folder and when your credentials expire')
  .action(async () => {
    const identity = await (await openClient()).whoami();
    print(`identity:    ${identity.identityId}\nfolder:      ${identity.prefix}\ncredentials: valid until ${identity.credentialsExpireAt.toISOString()}`, {
      identityId: identity.identityId,
      prefix: identity.prefix,
      credentialsExpireAt: identity.credentialsExpireAt.toISOString(),
    });
  });

program
  .command('upload')
  .description('upload a file (multipart with progress above 16 MiB; resumes an interrupted upload of the same file)')
  .argument('<file>', 'local file')
  .argument('[key]', 'key in your folder (default: the file name)')
  .option('--content-type <type>', 'Content-Type of the object')
  .option('--no-overwrite', 'fail instead of replacing an existing object')
  .action(async (file: string, key: string | undefined, options: { contentType?: string; overwrite: boolean }) => {
    const client = await openClient();
    const targetKey = key ?? basename(file);
    const source = await fileSource(userPath(file)).catch((error: unknown) => {
      // A missing file is "not found" (exit 5) to scripts; anything else unreadable is a usage error.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('NotFound', `No such file: ${file}`, { cause: error });
      throw new StorageError('InvalidKey', `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
    });
    const controller = new AbortController();
    const cancel = () => controller.abort();
    process.once('SIGINT', cancel);
    const progress = createTransferProgress(`upload ${targetKey}`, !globals().json);
    try {
      const result = await client.upload(targetKey, source, {
        contentType: options.contentType,
        ifNoneMatch: !options.overwrite,
        signal: controller.signal,
        onProgress: ({ loadedBytes, totalBytes }) => progress.update(loadedBytes, totalBytes),
      });
      progress.stop();
      print(`Uploaded ${file} -> ${targetKey} (${source.size} bytes${result.resumed ? ', resumed' : ''})`, { key: targetKey, size: source.size, etag: result.etag, resumed: result.resumed });
    } finally {
      progress.stop();
      process.off('SIGINT', cancel);
    }
  });

program
  .command('ls')
  .description('list your files')
  .argument('[prefix]', 'only keys starting with this (relative to your folder)')
  .action(async (prefix: string | undefined) => {
    const client = await openClient();
    const objects = [];
    for await (const object of client.list({ prefix })) objects.push(object);
    const rows = objects.map((object) => `${object.lastModified.toISOString()}  ${String(object.size).padStart(12)}  ${object.key}`);
    print(rows.length ? rows.join('\n') : '(no files)', objects.map((object) => ({ ...object, lastModified: object.lastModified.toISOString() })));
  });

program
  .command('get')
  .description('download a file')
  .argument('<key>', 'key in your folder')
  .argument('[file]', 'where to write it (default: the key\'s last segment)')
  .option('--range <range>', 'HTTP byte range, e.g. bytes=0-99')
  .option('-f, --force', 'replace the local file if it exists')
  .action(async (key: string, file: string | undefined, options: { range?: string; force?: boolean }) => {
    const client = await openClient();
    let target = userPath(file ?? basename(key));
    if (file && (await stat(target).then((info) => info.isDirectory()).catch(() => false))) target = join(target, basename(key));
    if (!options.force && (await lstat(target).then(() => true, () => false))) {
      throw new StorageError('Conflict', `${target} exists already; use --force to replace it.`);
    }
    const progress = createTransferProgress(`get ${key}`, !globals().json);
    try {
      const result = await downloadToFile(client, key, target, { range: options.range, replace: options.force ?? false, onProgress: ({ loadedBytes, totalBytes }) => progress.update(loadedBytes, totalBytes) });
      progress.stop();
      print(`Downloaded ${key} -> ${target} (${result.bytes} bytes)`, { key, file: target, bytes: result.bytes });
    } finally {
      progress.stop();
    }
  });

program
  .command('rm')
  .description('delete one or more files')
  .argument('<keys...>', 'keys in your folder')
  .action(async (keys: string[]) => {
    const client = await openClient();
    const { bucket } = await readStorageOutputsFile(outputsPath());
    const exists = await Promise.all(keys.map((key) => objectExists(client, bucket, key)));
    const present = keys.filter((_key, index) => exists[index]);
    const missing = keys.filter((_key, index) => !exists[index]);
    const result = present.length > 0 ? await client.remove(present) : { deleted: [], failed: [] };
    const lines = [
      ...result.deleted.map((key) => `deleted ${key}`),
      ...missing.map((key) => `not found ${key}`),
      ...result.failed.map((failure) => `FAILED  ${failure.key}: ${failure.code} ${failure.message}`),
    ];
    print(lines.join('\n'), { deleted: result.deleted, failed: [...result.failed, ...missing.map((key) => ({ key, code: 'NotFound', message: 'not found' }))] });
    if (result.failed.length > 0) process.exitCode = EXIT_CODES.failure;
    else if (missing.length > 0) process.exitCode = EXIT_CODES.notFound;
  });

program
  .command('share')
  .description('print a link that lets anyone download a file until it expires')
  .argument('<key>', 'key in your folder')
  .option('-e, --expires <seconds>', 'lifetime of the link in seconds', positiveInteger, 3600)
  .action(async (key: string, options: { expires: number }) => {
    const link = await (await openClient()).share(key, { expiresInSeconds: options.expires });
    const note = link.cappedByCredentials ? `\n(note: valid until ${link.expiresAt.toISOString()} only, when the credentials that signed it expire)` : `\nvalid until ${link.expiresAt.toISOString()}`;
    print(`${link.url}${note}`, { url: link.url, expiresAt: link.expiresAt.toISOString(), cappedByCredentials: link.cappedByCredentials });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // InvalidArgumentError is a CommanderError, but one thrown by an action was never printed by commander.
  if (error instanceof InvalidArgumentError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = EXIT_CODES.usage;
  } else if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.usage;
  } else if (error instanceof StorageError && error.code === 'SignInRequired' && error.status === 401 && usingStoredSession) {
    process.stderr.write('error: Your session is no longer valid: sign in again with `storage login` (npm run storage -- login --user <name>).\n');
    process.exitCode = EXIT_CODES.signInRequired;
  } else if (error instanceof StorageError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = exitCodeFor(error.code);
  } else {
    process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = EXIT_CODES.failure;
  }
}
