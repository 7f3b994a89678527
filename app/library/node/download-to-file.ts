import { rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { ScopedStorageClient } from '../scoped-storage-client.ts';

/**
 * Streams an object into a file. Bytes go to a temporary sibling that is renamed into place at
 * the end, so an interrupted download never leaves a truncated file under the real name.
 */
export async function downloadToFile(
  client: ScopedStorageClient,
  key: string,
  path: string,
  options: { range?: string; signal?: AbortSignal; onProgress?: (progress: { loadedBytes: number; totalBytes: number }) => void } = {},
): Promise<{ bytes: number }> {
  const download = await client.download(key, { range: options.range, signal: options.signal });
  const temporary = `${path}.part`;
  let loadedBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      loadedBytes += chunk.length;
      options.onProgress?.({ loadedBytes, totalBytes: download.contentLength });
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(download.body as NodeReadableStream), counter, createWriteStream(temporary), { signal: options.signal });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { bytes: loadedBytes };
}
