import { lstat, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { permissionsAt, StorageError, type CopyResult, type MoveResult } from '../../library/index.ts';
import { downloadToFile } from '../../library/node/download-to-file.ts';
import { fileSource } from '../../library/node/file-source.ts';
import type { CliContext } from '../cli-context.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { lastKeySegment, parseRemotePath, parseTransferPath, type RemotePath } from '../location-path.ts';
import { describeDenial, type ResolvedPath } from '../location-resolution.ts';
import { createTransferProgress } from '../transfer-progress.ts';
import { userPath } from '../user-directory.ts';

interface TransferOptions {
  force?: boolean;
  contentType?: string;
  range?: string;
}

/** A key ending in `/` (or none) is a folder: the copy keeps the source's name inside it. */
function intoFolder(path: RemotePath, name: string): RemotePath {
  return path.key === '' || path.key.endsWith('/') ? { ...path, key: `${path.key}${name}` } : path;
}

function alreadyExists(error: unknown, display: string): never {
  if (error instanceof StorageError && error.code === 'AlreadyExists') {
    throw new StorageError('AlreadyExists', `${display} exists already; use --force to replace it.`, { cause: error });
  }
  throw error;
}

/** Ctrl-C cancels the transfer (an upload's parts are aborted on S3) instead of leaving it half-done. */
async function cancellable<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once('SIGINT', cancel);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', cancel);
  }
}

async function uploadFile(context: CliContext, file: string, target: RemotePath, typedTarget: string, options: TransferOptions) {
  const client = await context.openClient();
  const path = await context.resolve(typedTarget, 'file', intoFolder(target, basename(file)));
  const source = await fileSource(userPath(file)).catch((error: unknown) => {
    // A missing file is "not found" (exit 5) to scripts; anything else unreadable is a usage error.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('NotFound', `No such file: ${file}`, { cause: error });
    throw new StorageError('InvalidKey', `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  });
  const progress = createTransferProgress(`upload ${path.display}`, !context.json);
  try {
    const result = await cancellable((signal) =>
      context.explainingDenial(path, 'write', () => {
        const task = client.startUpload(path.location, path.key, source, { contentType: options.contentType, ifNoneMatch: !options.force, signal });
        task.onProgress(({ loadedBytes, totalBytes }) => progress.update(loadedBytes, totalBytes ?? source.size));
        return task.done;
      }),
    ).catch((error: unknown) => alreadyExists(error, path.display));
    progress.stop();
    return { from: file, to: path.display, location: path.location.name, key: path.key, size: source.size, etag: result.etag, resumed: result.resumed };
  } finally {
    progress.stop();
  }
}

/** Where a download goes: a folder (existing, or typed with a trailing slash) gets the key's last segment. */
async function downloadTarget(file: string, key: string): Promise<string> {
  const target = userPath(file);
  const isFolder = /[\\/]$/.test(file) || (await stat(target).then((info) => info.isDirectory()).catch(() => false));
  return isFolder ? join(target, lastKeySegment(key)) : target;
}

async function downloadFile(context: CliContext, source: RemotePath, typedSource: string, file: string, options: TransferOptions) {
  const client = await context.openClient();
  const path = await context.resolve(typedSource, 'file', source);
  const target = await downloadTarget(file, path.key);
  if (!options.force && (await lstat(target).then(() => true, () => false))) {
    throw new StorageError('AlreadyExists', `${target} exists already; use --force to replace it.`);
  }
  const progress = createTransferProgress(`download ${path.display}`, !context.json);
  try {
    const result = await cancellable((signal) =>
      context.explainingDenial(path, 'read', () =>
        downloadToFile(client, { location: path.location, key: path.key }, target, {
          range: options.range,
          signal,
          replace: options.force ?? false,
          onProgress: ({ loadedBytes, totalBytes }) => progress.update(loadedBytes, totalBytes),
        }),
      ),
    );
    progress.stop();
    return { from: path.display, to: target, location: path.location.name, key: path.key, bytes: result.bytes };
  } finally {
    progress.stop();
  }
}

/** Which side of a refused copy lacked what, from the published rules; the server refused either way. */
function explainCopyDenial(error: unknown, source: ResolvedPath, target: ResolvedPath, move: boolean): never {
  if (error instanceof StorageError && (error.code === 'AccessDenied' || error.code === 'InvalidLocation')) {
    const sourceNeeds = move && !permissionsAt(source.location, source.key).includes('delete') ? 'delete' : 'read';
    const message = !permissionsAt(target.location, target.key).includes('write')
      ? describeDenial(target, 'write')
      : !permissionsAt(source.location, source.key).includes(sourceNeeds)
        ? describeDenial(source, sourceNeeds)
        : `Access denied: ${move ? 'moving' : 'copying'} ${source.display} to ${target.display} was refused by the storage service.`;
    throw new StorageError('AccessDenied', message, { cause: error, status: error.status });
  }
  throw error;
}

async function copyRemote(context: CliContext, source: RemotePath, typedSource: string, target: RemotePath, typedTarget: string, options: TransferOptions & { move: boolean }) {
  const client = await context.openClient();
  const from = await context.resolve(typedSource, 'file', source);
  const to = await context.resolve(typedTarget, 'file', intoFolder(target, lastKeySegment(from.key)));
  const reference = { from: { location: from.location, key: from.key }, to: { location: to.location, key: to.key } };
  const copyOptions = { ifNoneMatch: !options.force };
  const result: CopyResult & Partial<MoveResult> = await (options.move ? client.move(reference.from, reference.to, copyOptions) : client.copy(reference.from, reference.to, copyOptions))
    .catch((error: unknown) => explainCopyDenial(error, from, to, options.move))
    .catch((error: unknown) => alreadyExists(error, to.display));
  // A move whose delete failed leaves both: the copy is reported, and the failure with it.
  const deleteFailure = result.deleteFailure;
  return { from: from.display, to: to.display, size: result.size, etag: result.etag, ...(deleteFailure ? { deleteFailure } : {}) };
}

/** cp and mv: the direction follows which sides name a location. */
async function transfer(context: CliContext, typedSource: string, typedTarget: string, options: TransferOptions & { move: boolean }): Promise<void> {
  const source = parseTransferPath(typedSource);
  const target = parseTransferPath(typedTarget);
  const verb = options.move ? 'Moved' : 'Copied';
  if (source.kind === 'local' && target.kind === 'local') {
    throw new CliUsageError('NoRemoteSide', `Both sides are local files. Name a location on one side, e.g. private:${basename(typedSource)} (see "scoped-storage locations").`);
  }
  if (source.kind === 'local' && target.kind === 'remote') {
    const result = await uploadFile(context, source.path, target, typedTarget, options);
    if (options.move) await unlink(userPath(source.path));
    context.print(`${verb} ${result.from} -> ${result.to} (${result.size} bytes${result.resumed ? ', resumed' : ''})`, result);
    return;
  }
  if (source.kind === 'remote' && target.kind === 'local') {
    const result = await downloadFile(context, source, typedSource, target.path, options);
    if (options.move) {
      const client = await context.openClient();
      const path = await context.resolve(typedSource, 'file', source);
      await context.explainingDenial(path, 'delete', () => client.remove(path.location, [path.key]));
    }
    context.print(`${verb} ${result.from} -> ${result.to} (${result.bytes} bytes)`, result);
    return;
  }
  const result = await copyRemote(context, source as RemotePath, typedSource, target as RemotePath, typedTarget, options);
  const kept = result.deleteFailure ? `\nbut ${result.from} could not be deleted (${result.deleteFailure.code}: ${result.deleteFailure.message}); it is still there` : '';
  context.print(`${verb === 'Moved' && kept ? 'Copied' : verb} ${result.from} -> ${result.to} (${result.size} bytes)${kept}`, result);
  if (result.deleteFailure) process.exitCode = EXIT_CODES.failure;
}

const TRANSFER_HELP = `
A side with location: is in storage, a side without one is a local file ("private:" names your own location):
  cp ./a.txt team:a.txt          upload
  cp team:a.txt ./copy.txt       download
  cp private:a.txt team:a.txt    copy within storage
A target ending in "/" is a folder: the copy keeps the source's name. Existing files are not replaced without --force.`;

export function addTransferCommands(program: Command, context: CliContext): void {
  program
    .command('cp')
    .description('copy a file: upload, download, or within and across locations')
    .argument('<source>', 'local file or location:key')
    .argument('<target>', 'local file or folder, or location:key (location:folder/ keeps the name)')
    .option('-f, --force', 'replace the target if it exists')
    .option('--content-type <type>', 'Content-Type of an uploaded object')
    .addHelpText('after', TRANSFER_HELP)
    .action((source: string, target: string, options: TransferOptions) => transfer(context, source, target, { ...options, move: false }));

  program
    .command('mv')
    .description('move a file: as cp, then the source is deleted (a local source too)')
    .argument('<source>', 'local file or location:key')
    .argument('<target>', 'local file or folder, or location:key (location:folder/ keeps the name)')
    .option('-f, --force', 'replace the target if it exists')
    .option('--content-type <type>', 'Content-Type of an uploaded object')
    .addHelpText('after', TRANSFER_HELP)
    .action((source: string, target: string, options: TransferOptions) => transfer(context, source, target, { ...options, move: true }));

  program
    .command('upload')
    .description('upload a file (multipart with progress above 16 MiB; resumes an interrupted upload of the same file)')
    .argument('<file>', 'local file')
    .argument('[path]', 'where in storage, e.g. team:plans/ (default: the file name in your own location)')
    .option('-f, --force', 'replace an existing object')
    .option('--content-type <type>', 'Content-Type of the object')
    .action(async (file: string, typedPath: string | undefined, options: TransferOptions) => {
      const typedTarget = typedPath ?? '';
      const target = parseRemotePath(typedTarget);
      const result = await uploadFile(context, file, target, typedTarget || basename(file), options);
      context.print(`Uploaded ${result.from} -> ${result.to} (${result.size} bytes${result.resumed ? ', resumed' : ''})`, result);
    });

  program
    .command('get')
    .description('download a file')
    .argument('<path>', 'a file in storage, e.g. team:plans/q3.xlsx')
    .argument('[file]', "where to write it (default: the key's last segment here)")
    .option('--range <range>', 'HTTP byte range, e.g. bytes=0-99')
    .option('-f, --force', 'replace the local file if it exists')
    .action(async (typedSource: string, file: string | undefined, options: TransferOptions) => {
      const source = parseRemotePath(typedSource);
      const result = await downloadFile(context, source, typedSource, file ?? lastKeySegment(source.key), options);
      context.print(`Downloaded ${result.from} -> ${result.to} (${result.bytes} bytes)`, result);
    });
}
