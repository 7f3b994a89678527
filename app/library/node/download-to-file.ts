import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { ObjectReference, ScopedStorageClient } from '../scoped-storage-client.ts';
import { StorageError } from '../storage-errors.ts';

export interface DownloadToFileOptions {
  range?: string;
  signal?: AbortSignal;
  onProgress?: (progress: { loadedBytes: number; totalBytes: number }) => void;
  /** Replace a file (or link) already at `path`; otherwise that is `AlreadyExists` and nothing is written there. @default false */
  replace?: boolean;
}

/**
 * Streams an object into a file. Bytes go to a new temporary sibling with a random name, created
 * exclusively (an existing file or a planted symbolic link there is never opened, written or
 * removed), then moved into place at the end, so an interrupted download never leaves a truncated
 * file under the real name. Without `replace` the move cannot overwrite: a file that appeared at
 * `path` meanwhile is `AlreadyExists`. `object` is a key of the own location or `{ location, key }`.
 */
export async function downloadToFile(client: ScopedStorageClient, object: string | ObjectReference, path: string, options: DownloadToFileOptions = {}): Promise<{ bytes: number }> {
  const { location, key } = typeof object === 'string' ? { location: undefined, key: object } : object;
  const download = await client.download(location, key, { range: options.range, signal: options.signal });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.part`;
  let loadedBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      loadedBytes += chunk.length;
      options.onProgress?.({ loadedBytes, totalBytes: download.contentLength });
      callback(null, chunk);
    },
  });
  const file = await open(temporary, 'wx');
  try {
    await pipeline(Readable.fromWeb(download.body as NodeReadableStream), counter, file.createWriteStream(), { signal: options.signal });
    await moveIntoPlace(temporary, path, options.replace ?? false);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    await file.close().catch(() => undefined);
  }
  return { bytes: loadedBytes };
}

async function moveIntoPlace(temporary: string, path: string, replace: boolean): Promise<void> {
  if (replace) return rename(temporary, path);
  // link() fails when anything, a dangling link included, is at `path`: a rename would silently replace it.
  await link(temporary, path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new StorageError('AlreadyExists', `${path} exists already; use --force to replace it.`);
    throw error;
  });
  await rm(temporary);
}
