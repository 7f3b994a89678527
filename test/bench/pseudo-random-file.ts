import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 16 * 1048576;

/**
 * Writes `bytes` of pseudo-random data (an AES-128-CTR keystream under a random key: several GB/s
 * with AES-NI, incompressible, and no two parts alike) and gives the file's SHA-256, computed
 * as it is written so the source is never read back for it.
 */
export async function writePseudoRandomFile(path: string, bytes: number): Promise<{ sha256: string }> {
  const keystream = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(CHUNK_BYTES);
  const digest = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < bytes; ) {
      const length = Math.min(CHUNK_BYTES, bytes - written);
      const chunk = keystream.update(length === CHUNK_BYTES ? zeros : zeros.subarray(0, length));
      digest.update(chunk);
      await handle.write(chunk, 0, chunk.length, written);
      written += length;
    }
  } finally {
    await handle.close();
  }
  return { sha256: digest.digest('hex') };
}
