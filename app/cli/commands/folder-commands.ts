import type { Command } from 'commander';
import { permissionsAt, StorageError, type ScopedStorageClient } from '../../library/index.ts';
import type { CliContext } from '../cli-context.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import { confirm, processTerminal } from '../confirmation.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { describeDenial, type ResolvedPath } from '../location-resolution.ts';
import { formatBytes } from '../output-format.ts';

interface RemoveOptions {
  recursive?: boolean;
  yes?: boolean;
}

interface Failure {
  key: string;
  code: string;
  message: string;
}

/**
 * S3 answers a delete of a missing key with 204 all the same, so `rm` asks first to be able to say
 * "not found". A refused HEAD is not "missing": the delete itself then decides.
 */
async function exists(client: ScopedStorageClient, path: ResolvedPath): Promise<boolean> {
  return client.properties(path.location, path.key).then(
    () => true,
    (error: unknown) => {
      if (error instanceof StorageError && error.code === 'NotFound') return false;
      if (error instanceof StorageError && error.code === 'AccessDenied') return true;
      throw error;
    },
  );
}

async function removeFiles(context: CliContext, typedPaths: string[]): Promise<void> {
  const client = await context.openClient();
  const paths = await Promise.all(typedPaths.map((typed) => context.resolve(typed, 'file')));
  const present = await Promise.all(paths.map((path) => exists(client, path)));
  const deleted: string[] = [];
  const failed: Failure[] = [];
  const missing = typedPaths.filter((_typed, index) => !present[index]);
  // One batch per location; keys in the answer are the location's, mapped back to what was typed.
  const byLocation = new Map<string, Array<{ typed: string; path: ResolvedPath }>>();
  paths.forEach((path, index) => {
    if (!present[index]) return;
    const group = byLocation.get(path.location.name) ?? [];
    group.push({ typed: typedPaths[index]!, path });
    byLocation.set(path.location.name, group);
  });
  for (const group of byLocation.values()) {
    const typedByKey = new Map(group.map(({ typed, path }) => [path.key, typed]));
    const result = await context.explainingDenial(group[0]!.path, 'delete', () => client.remove(group[0]!.path.location, [...typedByKey.keys()]));
    deleted.push(...result.deleted.map((key) => typedByKey.get(key) ?? key));
    failed.push(...result.failed.map((failure) => ({ ...failure, key: typedByKey.get(failure.key) ?? failure.key })));
  }
  const lines = [...deleted.map((typed) => `deleted ${typed}`), ...missing.map((typed) => `not found ${typed}`), ...failed.map((failure) => `FAILED  ${failure.key}: ${failure.code} ${failure.message}`)];
  context.print(lines.join('\n'), { deleted, failed: [...failed, ...missing.map((key) => ({ key, code: 'NotFound', message: 'not found' }))] });
  if (failed.length > 0) process.exitCode = EXIT_CODES.failure;
  else if (missing.length > 0) process.exitCode = EXIT_CODES.notFound;
}

/** Everything below a folder, after a count and (on a terminal, without --yes) a confirmation. */
async function removeFolder(context: CliContext, typed: string, options: RemoveOptions): Promise<void> {
  const client = await context.openClient();
  const path = await context.resolve(typed, 'folder');
  // Said before counting: "holds no files" or a count to confirm would mislead where nothing may be deleted.
  if (!permissionsAt(path.location, path.key).includes('delete')) throw new StorageError('AccessDenied', describeDenial(path, 'delete'));
  const summary = await context.explainingDenial(path, 'list', () => client.summarizeFolder(path.location, path.key));
  if (summary.files === 0 && summary.folderMarkers === 0) throw new StorageError('NotFound', `Not found: ${path.display} holds no files.`);
  const what = `${summary.files} file${summary.files === 1 ? '' : 's'} (${formatBytes(summary.bytes)}) in ${path.display}`;
  if (!options.yes) {
    const confirmed = await confirm(`Delete ${what}?`, `Refusing to delete ${what} without confirmation: run it on a terminal, or add --yes.`, processTerminal());
    if (!confirmed) {
      context.print('Nothing deleted.', { path: path.display, deleted: 0, failed: [] });
      process.exitCode = EXIT_CODES.failure;
      return;
    }
  }
  const result = await context.explainingDenial(path, 'delete', () => client.deleteFolder(path.location, path.key));
  const deleted = result.deleted;
  const failures = result.failed.map((failure) => `FAILED  ${failure.key}: ${failure.code} ${failure.message}`);
  context.print([`Deleted ${deleted} file${deleted === 1 ? '' : 's'} in ${path.display}`, ...failures].join('\n'), { path: path.display, deleted, failed: result.failed });
  if (result.failed.length > 0) process.exitCode = EXIT_CODES.failure;
}

export function addFolderCommands(program: Command, context: CliContext): void {
  program
    .command('mkdir')
    .description('create a folder (an empty folder/ marker, as the S3 console makes)')
    .argument('<path>', 'a folder, e.g. team:plans/2026/')
    .action(async (typed: string) => {
      const client = await context.openClient();
      const path = await context.resolve(typed, 'folder');
      if (path.key === '') throw new CliUsageError('EmptyKey', `"${typed}" names no folder: give one after the location, e.g. ${path.location.name}:plans/.`);
      await context.explainingDenial(path, 'write', () => client.createFolder(path.location, path.key));
      context.print(`Created ${path.display}`, { path: path.display, location: path.location.name, key: path.key });
    });

  program
    .command('rm')
    .description('delete files, or with --recursive a folder and everything below it')
    .argument('<paths...>', 'files, e.g. team:plans/q3.xlsx; with --recursive one folder, e.g. team:plans/')
    .option('-r, --recursive', 'delete the folder and every file below it (asks first on a terminal)')
    .option('-y, --yes', 'delete without asking (what scripts must say)')
    .action(async (typedPaths: string[], options: RemoveOptions) => {
      if (!options.recursive) return removeFiles(context, typedPaths);
      if (typedPaths.length !== 1) throw new CliUsageError('FolderExpected', 'rm --recursive takes one folder at a time.');
      return removeFolder(context, typedPaths[0]!, options);
    });
}
