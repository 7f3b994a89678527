import type { Command } from 'commander';
import { StorageError, type ScopedStorageClient, type StoredObject } from '../../library/index.ts';
import type { CliContext } from '../cli-context.ts';
import { parseRemotePath } from '../location-path.ts';
import type { ResolvedPath } from '../location-resolution.ts';
import { positiveInteger } from '../option-parsers.ts';
import { formatListing, formatLocations, formatProperties, locationJson, propertiesJson, storedObjectJson } from '../output-format.ts';

interface ListOptions {
  recursive?: boolean;
  pageSize?: number;
  nextToken?: string;
}

/**
 * `ls private:notes.txt` lists the folder `notes.txt/`, empty when notes.txt is a file: the file
 * itself is what the user meant. Only a path typed without a trailing `/` is tried as a file.
 */
async function fileInstead(client: ScopedStorageClient, folder: ResolvedPath, typedKey: string): Promise<StoredObject | undefined> {
  if (typedKey === '' || typedKey.endsWith('/')) return undefined;
  return client.properties(folder.location, typedKey).then(
    (properties) => ({ key: properties.key, size: properties.size, lastModified: properties.lastModified, etag: properties.etag }),
    (error: unknown) => {
      if (error instanceof StorageError && (error.code === 'NotFound' || error.code === 'AccessDenied' || error.code === 'InvalidLocation')) return undefined;
      throw error;
    },
  );
}

export function addBrowseCommands(program: Command, context: CliContext): void {
  program
    .command('locations')
    .description('the locations you can use in paths (location:key), their prefixes and what you may do there')
    .action(async () => {
      const locations = await context.locations();
      context.print(formatLocations(locations), locations.map(locationJson));
    });

  program
    .command('ls')
    .description('list a folder: folders first (ending in /), then files; every page unless --page-size')
    .argument('[path]', 'a folder, e.g. team:plans/ (default: the top of your own location)')
    .option('-r, --recursive', 'every file below, without folders')
    .option('--page-size <count>', 'one page of at most this many entries; the next page with --next-token', positiveInteger)
    .option('--next-token <token>', 'continue a listing where the previous page ended (with --page-size)')
    .action(async (typedPath: string | undefined, options: ListOptions) => {
      const typed = typedPath ?? '';
      const client = await context.openClient();
      const path = await context.resolve(typed, 'folder');
      const folders: string[] = [];
      const files: StoredObject[] = [];
      let nextToken = options.nextToken;
      do {
        const page = await context.explainingDenial(path, 'list', () =>
          client.listFolder({ location: path.location, prefix: path.key || undefined, recursive: options.recursive, pageSize: options.pageSize, nextToken }),
        );
        folders.push(...page.folders);
        files.push(...page.files);
        nextToken = page.nextToken;
      } while (nextToken && options.pageSize === undefined);
      const file = folders.length === 0 && files.length === 0 && options.nextToken === undefined ? await fileInstead(client, path, parseRemotePath(typed).key) : undefined;
      if (file) {
        const display = `${path.location.name}:${file.key}`;
        context.print(`${display} is a file, not a folder ("scoped-storage stat ${display}" shows all its properties):\n${formatListing({ folders: [], files: [file] }, '')}`, {
          path: display,
          isFile: true,
          folders: [],
          files: [storedObjectJson(file)],
        });
        return;
      }
      const more = nextToken ? `\n(more: scoped-storage ls ${path.display} --page-size ${options.pageSize} --next-token ${nextToken})` : '';
      context.print(`${formatListing({ folders, files }, path.key)}${more}`, { path: path.display, folders, files: files.map(storedObjectJson), ...(nextToken ? { nextToken } : {}) });
    });

  program
    .command('stat')
    .description("a file's properties: size, type, modified, etag, checksum and metadata")
    .argument('<path>', 'a file, e.g. team:plans/q3.xlsx')
    .action(async (typed: string) => {
      const client = await context.openClient();
      const path = await context.resolve(typed, 'file');
      const properties = await context.explainingDenial(path, 'read', () => client.properties(path.location, path.key));
      context.print(formatProperties(path.display, properties), propertiesJson(path.display, properties));
    });
}
