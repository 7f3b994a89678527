/**
 * A body that can be read again from any offset: what makes an upload resumable and lets
 * parts be read one at a time, so memory stays bounded by part size x concurrency.
 */
export interface RandomAccessSource {
  readonly size: number;
  /** A stable fingerprint (name, size, modification time) so a resumed upload is the same content. */
  readonly fingerprint: string;
  /**
   * Bytes [start, end). With `into` (at least end - start long), a source may fill and return
   * that buffer instead of allocating, so a multipart upload reuses one buffer per part in flight.
   */
  read(start: number, end: number, into?: Uint8Array): Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array, name = 'bytes'): RandomAccessSource {
  return {
    size: bytes.byteLength,
    fingerprint: `${name}:${bytes.byteLength}`,
    read: async (start, end) => bytes.subarray(start, end),
  };
}

export function blobSource(blob: Blob): RandomAccessSource {
  const file = blob as Blob & { name?: string; lastModified?: number };
  return {
    size: blob.size,
    fingerprint: `${file.name ?? 'blob'}:${blob.size}:${file.lastModified ?? 0}`,
    read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
  };
}

export function isRandomAccessSource(value: unknown): value is RandomAccessSource {
  return typeof value === 'object' && value !== null && typeof (value as RandomAccessSource).read === 'function' && typeof (value as RandomAccessSource).size === 'number';
}
