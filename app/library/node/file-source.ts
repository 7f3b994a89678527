import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RandomAccessSource } from '../upload-source.ts';

/** A file on disk as an upload source: each part is read when it is sent, never the whole file. */
export async function fileSource(path: string): Promise<RandomAccessSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file.`);
  return {
    size: info.size,
    fingerprint: `${basename(path)}:${info.size}:${info.mtimeMs}`,
    async read(start, end, into) {
      const handle = await open(path, 'r');
      try {
        const buffer = into ? Buffer.from(into.buffer, into.byteOffset, end - start) : Buffer.allocUnsafe(end - start);
        let offset = 0;
        while (offset < buffer.length) {
          const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, start + offset);
          if (bytesRead === 0) throw new Error(`${path} changed while it was being uploaded (shorter than ${info.size} bytes).`);
          offset += bytesRead;
        }
        return buffer;
      } finally {
        await handle.close();
      }
    },
  };
}
