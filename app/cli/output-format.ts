import type { ObjectProperties, StorageLocation, StoredObject } from '../library/index.ts';

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** `3000` -> `2.9 KiB`; below 1 KiB in bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** What `locations --json` prints per location; `ownFolder` and `tag` only where they apply. */
export function locationJson(location: StorageLocation) {
  return {
    name: location.name,
    prefix: location.prefix,
    permissions: location.permissions,
    kind: location.kind,
    isDefault: location.isDefault,
    ...(location.ownFolder ? { ownFolder: location.ownFolder } : {}),
    ...(location.tag ? { tag: location.tag } : {}),
  };
}

/** One row per location; a protected location's own folder gets a row of its own, as it has other rights. */
export function formatLocations(locations: readonly StorageLocation[]): string {
  if (locations.length === 0) return '(no locations)';
  const rows: string[][] = [];
  for (const location of locations) {
    rows.push([`${location.name}:${location.isDefault ? ' (default)' : ''}`, location.prefix, location.permissions.join(', ') || '-']);
    if (location.ownFolder) rows.push([`${location.name}:${location.ownFolder.identityId}/ (yours)`, `${location.prefix}${location.ownFolder.identityId}/`, location.ownFolder.permissions.join(', ')]);
  }
  return formatTable(['LOCATION', 'PREFIX', 'PERMISSIONS'], rows);
}

function relativeTo(prefix: string, key: string): string {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

export interface FolderListing {
  folders: readonly string[];
  files: readonly StoredObject[];
}

/**
 * `ls`: folders first, each with a trailing `/`, then files with size and time, names relative to
 * the folder listed (so they can be appended to the path typed).
 */
export function formatListing(listing: FolderListing, listedFolder: string): string {
  const folders = [...listing.folders].map((folder) => relativeTo(listedFolder, folder.endsWith('/') ? folder : `${folder}/`)).sort();
  const rows = [
    ...folders.map((folder) => ['', '', folder]),
    ...listing.files.map((file) => [file.lastModified.toISOString(), String(file.size), relativeTo(listedFolder, file.key)]),
  ];
  if (rows.length === 0) return '(empty)';
  const sizeWidth = Math.max(...rows.map((row) => row[1]!.length));
  const dateWidth = Math.max(...rows.map((row) => row[0]!.length));
  return rows.map(([date, size, name]) => `${date!.padEnd(dateWidth)}  ${size!.padStart(sizeWidth)}  ${name}`).join('\n');
}

export function storedObjectJson(file: StoredObject) {
  return { ...file, lastModified: file.lastModified.toISOString() };
}

export function propertiesJson(display: string, properties: ObjectProperties) {
  return { path: display, ...properties, lastModified: properties.lastModified.toISOString() };
}

/** `stat`: one property a line, metadata indented under its heading. */
export function formatProperties(display: string, properties: ObjectProperties): string {
  const checksum = properties.checksum === undefined ? '-' : `${properties.checksum}${properties.checksumType === 'COMPOSITE' ? ' (of the parts)' : ''}`;
  const metadata = Object.entries(properties.metadata);
  return formatTable(
    ['path:', display],
    [
      ['size:', `${properties.size} bytes${properties.size >= 1024 ? ` (${formatBytes(properties.size)})` : ''}`],
      ['type:', properties.contentType ?? '-'],
      ['modified:', properties.lastModified.toISOString()],
      ['etag:', properties.etag],
      ['checksum:', checksum],
      ['metadata:', metadata.length === 0 ? '-' : ''],
      ...metadata.map(([name, value]) => [`  ${name}:`, value]),
    ],
  );
}
