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

/**
 * Cuts a stream of unknown length into parts of `partSize` bytes, one part per call, reading
 * only when asked: a paused upload stops asking, so the stream is held back by backpressure.
 */
export class StreamPartReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private leftover: Uint8Array | undefined;
  /** True once the stream has no more bytes. */
  ended = false;
  bytesRead = 0;
  /** A stream that failed cannot be read again; every later call rejects with its error. */
  private failure: unknown;

  constructor(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, private readonly partSize: number) {
    this.iterator = isAsyncIterable(body) ? body[Symbol.asyncIterator]() : readerIterator(body);
  }

  /** The next part (shorter only when it is the last), or undefined when the stream has ended. */
  async next(): Promise<Uint8Array | undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended && !this.leftover) return undefined;
    const part = new Uint8Array(this.partSize);
    let filled = 0;
    try {
      while (filled < this.partSize) {
        const chunk = this.leftover ?? (await this.pull());
        this.leftover = undefined;
        if (!chunk) break;
        const taken = Math.min(chunk.byteLength, this.partSize - filled);
        part.set(chunk.subarray(0, taken), filled);
        filled += taken;
        if (taken < chunk.byteLength) this.leftover = chunk.subarray(taken);
      }
      // A full part: look one chunk ahead, so the caller knows whether this was the last.
      if (!this.leftover && !this.ended) this.leftover = await this.pull();
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.bytesRead += filled;
    return part.subarray(0, filled);
  }

  /** Stops the stream (a cancelled upload). */
  async close(): Promise<void> {
    this.ended = true;
    await this.iterator.return?.().catch(() => undefined);
  }

  private async pull(): Promise<Uint8Array | undefined> {
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return undefined;
      }
      if (next.value.byteLength > 0) return next.value;
    }
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof (value as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
}

function readerIterator(stream: ReadableStream<Uint8Array>): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    next: async () => {
      const { done, value } = await reader.read();
      return done ? { done: true, value: undefined } : { done: false, value };
    },
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}
