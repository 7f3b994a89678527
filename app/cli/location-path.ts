import { CliUsageError } from './cli-usage-error.ts';

/** A path in storage as typed: `team:plans/q3.xlsx`; no location means the own one. */
export interface RemotePath {
  kind: 'remote';
  /** The location name before the colon; undefined for a bare path (the own location). */
  location: string | undefined;
  /** The key relative to the location's prefix, possibly empty (`team:`) or ending in `/` (a folder). */
  key: string;
}

/** A file on this machine (only `cp`, `mv`, `upload` and `get` take these). */
export interface LocalPath {
  kind: 'local';
  path: string;
}

const LOCATION_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;

/**
 * Splits `[location:]key` the way rclone splits `remote:path`: a colon before the first slash ends
 * a location name. A key that itself holds a colon in its first segment is written with its location
 * (`private:2024:notes.txt`); an identity id's colon (`protected:us-east-1:abc/photo.jpg`) comes after
 * the location's colon and needs nothing.
 */
function splitLocation(text: string): { location: string; key: string } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const slash = text.indexOf('/');
  if (slash >= 0 && slash < colon) return undefined;
  return { location: text.slice(0, colon), key: text.slice(colon + 1) };
}

function checkedRemote(location: string | undefined, key: string, typed: string): RemotePath {
  if (location !== undefined && !LOCATION_NAME.test(location)) {
    throw new CliUsageError(
      'InvalidLocationName',
      `"${location}" in "${typed}" is not a location name (lower-case letters, digits and "-", starting with a letter). A key whose first part holds ":" is written with its location, e.g. private:${typed}.`,
    );
  }
  if (key.startsWith('/')) {
    throw new CliUsageError('AbsoluteKey', `"${typed}": keys are relative to their location and do not start with "/"; write ${location ?? 'private'}:${key.replace(/^\/+/, '')}.`);
  }
  return { kind: 'remote', location, key };
}

/** A path of a command whose every argument is in storage (`ls`, `rm`, `stat`, `mkdir`, `share`): a bare path is in the own location. */
export function parseRemotePath(text: string): RemotePath {
  const split = splitLocation(text);
  return split ? checkedRemote(split.location, split.key, text) : checkedRemote(undefined, text, text);
}

/**
 * A side of `cp` or `mv`: remote with a `location:` in front, a local file otherwise
 * (`./a:b.txt` is local, its colon comes after a slash; so is a Windows drive path on Windows).
 */
export function parseTransferPath(text: string, platform: NodeJS.Platform = process.platform): RemotePath | LocalPath {
  if (platform === 'win32' && WINDOWS_DRIVE.test(text)) return { kind: 'local', path: text };
  const split = splitLocation(text);
  if (!split) {
    if (text.length === 0) throw new CliUsageError('EmptyKey', 'An empty path: give a local file or a location path such as team:plans/q3.xlsx.');
    return { kind: 'local', path: text };
  }
  return checkedRemote(split.location, split.key, text);
}

/** How a path is shown back to the user: the form they can paste into the next command. */
export function formatRemotePath(location: string, key: string): string {
  return `${location}:${key}`;
}

/** The key of one file: not empty, not a folder. */
export function requireFileKey(path: RemotePath, typed: string): string {
  if (path.key.length === 0) {
    throw new CliUsageError('EmptyKey', `"${typed}" names no file: give a key after the location, e.g. ${path.location ?? 'private'}:notes.txt.`);
  }
  if (path.key.endsWith('/')) throw new CliUsageError('FileExpected', `"${typed}" is a folder (it ends with "/"); this command takes a file.`);
  return path.key;
}

/** The key of a folder, ending with `/`, or "" for the location's top. */
export function folderKey(path: RemotePath): string {
  return path.key === '' || path.key.endsWith('/') ? path.key : `${path.key}/`;
}

/** The last segment of a key: the default name of its copy. */
export function lastKeySegment(key: string): string {
  return key.split('/').filter((segment) => segment.length > 0).at(-1) ?? '';
}
