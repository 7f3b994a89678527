import type { Command } from 'commander';
import type { StoredObject } from '../../library/index.ts';
import type { CliContext } from '../cli-context.ts';
import { positiveInteger } from '../option-parsers.ts';
import { formatListing, formatLocations, formatProperties, locationJson, propertiesJson, storedObjectJson } from '../output-format.ts';

interface ListOptions {
  recursive?: boolean;
  pageSize?: number;
  nextToken?: string;
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
    .argument('[path]', 'a folder, e.g. team:plans/ (default: the top of your own location)', '')
    .option('-r, --recursive', 'every file below, without folders')
    .option('--page-size <count>', 'one page of at most this many entries; the next page with --next-token', positiveInteger)
    .option('--next-token <token>', 'continue a listing where the previous page ended (with --page-size)')
    .action(async (typed: string, options: ListOptions) => {
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
