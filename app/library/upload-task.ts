import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { abortMultipartUpload, listUploadedParts, plannedPartSize, type UploadedPart } from './multipart-upload.ts';
import { planPartSize, S3_PART_LIMITS, type PartLimits } from './part-size-plan.ts';
import type { ResumeStore } from './resume-store.ts';
import { sendWithUploadProgress } from './send-with-upload-progress.ts';
import { StorageError, toStorageError } from './storage-errors.ts';
import { isRandomAccessSource, StreamPartReader, type RandomAccessSource } from './upload-source.ts';

export type UploadTaskState = 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

export interface UploadTaskProgress {
  loadedBytes: number;
  /** Undefined for a stream of unknown length. */
  totalBytes: number | undefined;
}

export interface UploadTaskResult {
  etag: string;
  size?: number;
  resumed: boolean;
}

export interface UploadTask {
  readonly state: UploadTaskState;
  readonly progress: UploadTaskProgress;
  readonly error?: StorageError;
  /** Stops sending: parts in flight are aborted (their bytes no longer counted) and sent again on resume; the multipart upload stays open. */
  pause(): void;
  resume(): void;
  /** Aborts the multipart upload on S3 (or the single PUT); `done` rejects with code 'Aborted'. */
  cancel(): Promise<void>;
  /** After 'failed': continues from the parts S3 already has (ListParts). */
  retry(): void;
  onProgress(listener: (progress: UploadTaskProgress) => void): () => void;
  onStateChange(listener: (state: UploadTaskState) => void): () => void;
  readonly done: Promise<UploadTaskResult>;
}

export interface StartUploadTaskParameters {
  s3: S3Client;
  bucket: string;
  /** The S3 key. */
  fullKey: string;
  /** The key as the caller named it, for messages. */
  displayKey: string;
  body: RandomAccessSource | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Preferred part size; grown for big files (see planPartSize). */
  partSize?: number;
  concurrency: number;
  /** Sources bigger than this go multipart. */
  multipartThreshold: number;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Refuse to replace an existing object (If-None-Match: *): code 'AlreadyExists'. */
  ifNoneMatch?: boolean;
  resumeStore?: ResumeStore;
  /** Aborting it is cancel(). */
  signal?: AbortSignal;
  /** S3's multipart limits; an emulator with smaller ones may pass its own. @default S3_PART_LIMITS */
  partLimits?: PartLimits;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** Starts an upload and returns its task at once; the work runs in the background. */
export function startUploadTask(parameters: StartUploadTaskParameters): UploadTask {
  return new UploadTaskRunner(parameters);
}

/** What the task sends: one PUT, the parts of a random-access source, or the parts of a stream as it is read. */
type UploadShape =
  | { kind: 'single'; source: RandomAccessSource }
  | { kind: 'parts'; source: RandomAccessSource; partSize: number; partCount: number }
  | { kind: 'stream'; reader: StreamPartReader; partSize: number };

class UploadTaskRunner implements UploadTask {
  state: UploadTaskState = 'running';
  error?: StorageError;
  private readonly progressListeners = new Set<(progress: UploadTaskProgress) => void>();
  private readonly stateListeners = new Set<(state: UploadTaskState) => void>();
  private currentDone: Promise<UploadTaskResult>;
  /** Aborted by pause() and cancel(): every request of the current attempt. */
  private attempt = new AbortController();
  /** Aborted by cancel() only: also the completion, which pause() leaves alone. */
  private readonly cancelled = new AbortController();
  private wake: (() => void) | undefined;
  private cancelling: Promise<void> | undefined;
  /** The multipart upload being created, shared by the attempts that wait for it. */
  private creatingUpload: Promise<void> | undefined;
  private shape: UploadShape | undefined;

  // What is sent so far: completed parts (kept across pauses and retries) and the bytes of parts in flight.
  private uploadId: string | undefined;
  private resumed = false;
  private completed = new Map<number, UploadedPart>();
  private completedBytes = 0;
  private readonly inFlight = new Map<number, number>();
  /** Stream parts read but not yet on S3, kept so a paused or failed part is sent again without reading the stream twice. */
  private readonly heldStreamParts = new Map<number, Uint8Array>();
  private nextStreamPartNumber = 1;
  private listPartsBeforeSending = false;
  private completing = false;
  private lastReported = -1;

  constructor(private readonly parameters: StartUploadTaskParameters) {
    parameters.signal?.addEventListener('abort', () => void this.cancel(), { once: true });
    this.currentDone = this.begin();
    if (parameters.signal?.aborted) void this.cancel();
  }

  get done(): Promise<UploadTaskResult> {
    return this.currentDone;
  }

  get progress(): UploadTaskProgress {
    return { loadedBytes: this.loadedBytes(), totalBytes: this.totalBytes() };
  }

  pause(): void {
    if (this.state !== 'running' || this.completing) return;
    this.setState('paused');
    this.attempt.abort();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.setState('running');
    this.wake?.();
  }

  retry(): void {
    if (this.state !== 'failed') return;
    this.error = undefined;
    this.listPartsBeforeSending = this.uploadId !== undefined;
    this.setState('running');
    this.currentDone = this.begin();
  }

  cancel(): Promise<void> {
    if (this.cancelling) return this.cancelling;
    if (this.state === 'succeeded') return Promise.resolve();
    const wasFailed = this.state === 'failed';
    this.setState('cancelled');
    this.cancelled.abort();
    this.attempt.abort();
    this.wake?.();
    if (wasFailed) this.currentDone = handled(Promise.reject(this.abortedError()));
    const settled = this.currentDone.then(
      () => undefined,
      () => undefined,
    );
    this.cancelling = settled.then(async () => {
      if (this.shape?.kind === 'stream') await this.shape.reader.close();
      // An upload S3 is still creating is aborted once its answer names it.
      await this.creatingUpload?.catch(() => undefined);
      if (this.uploadId) await abortMultipartUpload(this.parameters.s3, { bucket: this.parameters.bucket, key: this.parameters.fullKey, uploadId: this.uploadId });
      this.uploadId = undefined;
      await this.parameters.resumeStore?.delete(this.resumeId()).catch(() => undefined);
    });
    return this.cancelling;
  }

  onProgress(listener: (progress: UploadTaskProgress) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  onStateChange(listener: (state: UploadTaskState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** One run until success, failure or cancel; pauses happen inside it. */
  private begin(): Promise<UploadTaskResult> {
    const run = (async () => {
      // Let the caller attach listeners before the first event.
      await Promise.resolve();
      for (;;) {
        await this.untilRunning();
        const attempt = new AbortController();
        this.attempt = attempt;
        try {
          return await this.send(attempt.signal);
        } catch (error) {
          if (this.state === 'cancelled') throw this.abortedError(error);
          if (this.state === 'paused' && attempt.signal.aborted) continue;
          throw error;
        }
      }
    })();
    return handled(
      run.then(
        (result) => {
          this.report();
          this.setState('succeeded');
          return result;
        },
        (error: unknown) => {
          const failure = this.state === 'cancelled' ? this.abortedError(error) : this.toFailure(error);
          if (this.state !== 'cancelled') {
            this.error = failure;
            this.setState('failed');
          }
          throw failure;
        },
      ),
    );
  }

  private async untilRunning(): Promise<void> {
    while (this.state === 'paused') await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.state === 'cancelled') throw this.abortedError();
  }

  private async send(signal: AbortSignal): Promise<UploadTaskResult> {
    this.shape ??= this.planShape();
    const shape = this.shape;
    if (shape.kind === 'single') {
      const bytes = await shape.source.read(0, shape.source.size);
      return this.putWhole(bytes, signal);
    }
    if (shape.kind === 'stream' && this.uploadId === undefined && this.completed.size === 0) {
      // A stream that fits in one part goes up as one PUT, as a small file does.
      const first = this.heldStreamParts.get(1) ?? (await shape.reader.next()) ?? new Uint8Array(0);
      this.heldStreamParts.set(1, first);
      if (shape.reader.ended && this.nextStreamPartNumber === 1) return this.putWhole(first, signal);
      this.nextStreamPartNumber = Math.max(this.nextStreamPartNumber, 2);
    }
    await this.openMultipartUpload(shape, signal);
    await this.sendParts(shape, signal);
    return this.completeMultipartUpload(signal);
  }

  private planShape(): UploadShape {
    const { body, multipartThreshold } = this.parameters;
    const limits = this.parameters.partLimits ?? S3_PART_LIMITS;
    const preferred = this.parameters.partSize ?? DEFAULT_PART_SIZE;
    if (!isRandomAccessSource(body)) return { kind: 'stream', reader: new StreamPartReader(body, planPartSize(0, preferred, limits).partSize), partSize: planPartSize(0, preferred, limits).partSize };
    const plan = planPartSize(body.size, preferred, limits);
    if (body.size <= multipartThreshold) return { kind: 'single', source: body };
    return { kind: 'parts', source: body, ...plan };
  }

  private async putWhole(bytes: Uint8Array, signal: AbortSignal): Promise<UploadTaskResult> {
    const { s3, bucket, fullKey, contentType, metadata, ifNoneMatch } = this.parameters;
    const response = await this.sendCounted(1, () =>
      sendWithUploadProgress(s3, new PutObjectCommand({ Bucket: bucket, Key: fullKey, Body: bytes, ContentType: contentType, Metadata: metadata, IfNoneMatch: ifNoneMatch ? '*' : undefined }), {
        abortSignal: signal,
        onBytesSent: (sent) => this.countInFlight(1, sent, bytes.byteLength),
      }),
    );
    this.heldStreamParts.clear();
    this.completedBytes = bytes.byteLength;
    this.report();
    return { etag: response.ETag ?? '', size: bytes.byteLength, resumed: false };
  }

  /** Finds the upload to continue (this task's, or one the resume store remembers) or creates one. */
  private async openMultipartUpload(shape: Exclude<UploadShape, { kind: 'single' }>, signal: AbortSignal): Promise<void> {
    const { s3, bucket, fullKey, resumeStore } = this.parameters;
    if (shape.kind === 'parts') {
      if (this.uploadId === undefined) {
        const record = await resumeStore?.get(this.resumeId());
        if (record) {
          const sameContent = record.key === fullKey && record.size === shape.source.size && record.partSize === shape.partSize && record.fingerprint === shape.source.fingerprint;
          if (sameContent) {
            this.uploadId = record.uploadId;
            this.resumed = true;
            this.listPartsBeforeSending = true;
          } else {
            await abortMultipartUpload(s3, { bucket, key: record.key, uploadId: record.uploadId });
            await resumeStore?.delete(this.resumeId());
          }
        }
      }
      if (this.uploadId !== undefined && this.listPartsBeforeSending) {
        const parts = await listUploadedParts(s3, { bucket, key: fullKey, uploadId: this.uploadId, partSize: shape.partSize, totalBytes: shape.source.size }, signal);
        this.listPartsBeforeSending = false;
        if (parts) this.setCompleted(parts);
        else {
          // S3 no longer knows the upload (aborted elsewhere, or expired): start over.
          this.uploadId = undefined;
          this.resumed = false;
          this.setCompleted(new Map());
          await resumeStore?.delete(this.resumeId());
        }
      }
    }
    if (this.uploadId !== undefined) return;
    this.throwIfStopped(signal);
    // The request itself is never aborted: S3 may have created the upload already, and only its
    // answer names it, so that cancel() can abort it and a resumed attempt can go on with it (no
    // orphaned upload). Pause and cancel stop waiting for it at once all the same.
    this.creatingUpload ??= this.createMultipartUpload(shape).finally(() => {
      this.creatingUpload = undefined;
    });
    await untilAborted(this.creatingUpload, signal);
    this.throwIfStopped(signal);
  }

  private async createMultipartUpload(shape: Exclude<UploadShape, { kind: 'single' }>): Promise<void> {
    const { s3, bucket, fullKey, resumeStore } = this.parameters;
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: fullKey, ContentType: this.parameters.contentType, Metadata: this.parameters.metadata, ChecksumAlgorithm: 'CRC32' }),
    );
    this.uploadId = created.UploadId!;
    if (shape.kind === 'parts') {
      await resumeStore?.set(this.resumeId(), { uploadId: this.uploadId, key: fullKey, size: shape.source.size, partSize: shape.partSize, fingerprint: shape.source.fingerprint, createdAt: new Date().toISOString() });
    }
  }

  /** Sends every part S3 lacks, `concurrency` at a time; the first failure stops the others. */
  private async sendParts(shape: Exclude<UploadShape, { kind: 'single' }>, signal: AbortSignal): Promise<void> {
    this.throwIfStopped(signal);
    const run = new AbortController();
    const stopRun = () => run.abort();
    signal.addEventListener('abort', stopRun, { once: true });
    const pending = shape.kind === 'parts' ? Array.from({ length: shape.partCount }, (_, index) => index + 1).filter((partNumber) => !this.completed.has(partNumber)) : [...this.heldStreamParts.keys()].sort((a, b) => a - b);
    let firstFailure: { error: unknown } | undefined;
    let streamReads = Promise.resolve();
    const nextStreamPart = (reader: StreamPartReader) => {
      const read = streamReads.then(async () => {
        const bytes = await reader.next();
        if (bytes === undefined || (bytes.byteLength === 0 && this.nextStreamPartNumber > 1)) return undefined;
        const limits = this.parameters.partLimits ?? S3_PART_LIMITS;
        if (this.nextStreamPartNumber > limits.maxParts) {
          throw new StorageError('TooLarge', `The stream for ${this.parameters.displayKey} is longer than ${limits.maxParts} parts of ${shape.partSize} bytes; upload it as a file, or with a bigger partSize.`);
        }
        const partNumber = this.nextStreamPartNumber++;
        this.heldStreamParts.set(partNumber, bytes);
        return partNumber;
      });
      streamReads = read.then(() => undefined, () => undefined);
      return read;
    };
    const worker = async () => {
      // One buffer per worker for a file's parts: memory stays at part size x concurrency.
      let buffer: Uint8Array | undefined;
      while (!run.signal.aborted) {
        const partNumber = pending.shift() ?? (shape.kind === 'stream' ? await nextStreamPart(shape.reader) : undefined);
        if (partNumber === undefined || run.signal.aborted) return;
        let bytes: Uint8Array;
        if (shape.kind === 'parts') {
          const start = (partNumber - 1) * shape.partSize;
          const size = plannedPartSize(partNumber, shape.partSize, shape.source.size);
          buffer ??= new Uint8Array(shape.partSize);
          bytes = await shape.source.read(start, start + size, buffer);
        } else bytes = this.heldStreamParts.get(partNumber)!;
        await this.sendPart(partNumber, bytes, run.signal);
        this.heldStreamParts.delete(partNumber);
      }
    };
    const guarded = async () => {
      try {
        await worker();
      } catch (error) {
        if (!firstFailure && !signal.aborted) firstFailure = { error };
        run.abort();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.parameters.concurrency) }, guarded));
    } finally {
      signal.removeEventListener('abort', stopRun);
    }
    if (firstFailure) throw firstFailure.error;
    this.throwIfStopped(signal);
  }

  private async sendPart(partNumber: number, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    const { s3, bucket, fullKey } = this.parameters;
    const response = await this.sendCounted(partNumber, () =>
      sendWithUploadProgress(s3, new UploadPartCommand({ Bucket: bucket, Key: fullKey, UploadId: this.uploadId, PartNumber: partNumber, Body: bytes, ChecksumAlgorithm: 'CRC32' }), {
        abortSignal: signal,
        onBytesSent: (sent) => this.countInFlight(partNumber, sent, bytes.byteLength),
      }),
    );
    this.completed.set(partNumber, { PartNumber: partNumber, ETag: response.ETag, ChecksumCRC32: response.ChecksumCRC32, size: bytes.byteLength });
    this.completedBytes += bytes.byteLength;
    this.report();
  }

  private async completeMultipartUpload(signal: AbortSignal): Promise<UploadTaskResult> {
    const { s3, bucket, fullKey, ifNoneMatch } = this.parameters;
    this.throwIfStopped(signal);
    const parts = [...this.completed.values()].sort((a, b) => a.PartNumber - b.PartNumber).map(({ size: _size, ...part }) => part);
    this.completing = true;
    try {
      // Only cancel() stops the completion: pausing now would leave an object S3 may already have made.
      const done = await s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: fullKey, UploadId: this.uploadId, MultipartUpload: { Parts: parts }, IfNoneMatch: ifNoneMatch ? '*' : undefined }),
        { abortSignal: this.cancelled.signal },
      );
      this.uploadId = undefined;
      await this.parameters.resumeStore?.delete(this.resumeId());
      return { etag: done.ETag ?? '', size: this.completedBytes, resumed: this.resumed };
    } catch (error) {
      const failure = this.toFailure(error);
      if ((failure.code === 'AlreadyExists' || failure.code === 'Conflict') && this.uploadId) {
        // The object will not be written: the parts are of no use.
        await abortMultipartUpload(s3, { bucket, key: fullKey, uploadId: this.uploadId });
        this.uploadId = undefined;
        this.setCompleted(new Map());
        await this.parameters.resumeStore?.delete(this.resumeId());
      }
      throw failure;
    } finally {
      this.completing = false;
    }
  }

  /** Runs one body-carrying request, counting its bytes while in flight; a failed or aborted request's bytes are un-counted. */
  private async sendCounted<T>(slot: number, request: () => Promise<T>): Promise<T> {
    this.inFlight.set(slot, 0);
    try {
      return await request();
    } catch (error) {
      this.inFlight.delete(slot);
      this.report();
      throw error;
    } finally {
      // On success the caller counts the bytes as completed, then reports.
      this.inFlight.delete(slot);
    }
  }

  /** The highest count seen for this request (the SDK's own retries count from 0 again), never past its size. */
  private countInFlight(slot: number, sent: number, size: number): void {
    const counted = this.inFlight.get(slot);
    if (counted === undefined || sent <= counted) return;
    this.inFlight.set(slot, Math.min(sent, size));
    this.report();
  }

  private setCompleted(parts: Map<number, UploadedPart>): void {
    this.completed = parts;
    this.completedBytes = [...parts.values()].reduce((sum, part) => sum + part.size, 0);
    this.report();
  }

  private loadedBytes(): number {
    let loaded = this.completedBytes;
    for (const bytes of this.inFlight.values()) loaded += bytes;
    return loaded;
  }

  private totalBytes(): number | undefined {
    const { body } = this.parameters;
    if (isRandomAccessSource(body)) return body.size;
    if (this.shape?.kind === 'stream' && this.shape.reader.ended) return this.shape.reader.bytesRead;
    return undefined;
  }

  private report(): void {
    const loaded = this.loadedBytes();
    if (loaded === this.lastReported) return;
    this.lastReported = loaded;
    const progress = this.progress;
    for (const listener of this.progressListeners) listener(progress);
  }

  private setState(state: UploadTaskState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private resumeId(): string {
    return `${this.parameters.bucket}/${this.parameters.fullKey}`;
  }

  /** Ends the attempt once pause() or cancel() has stopped it (begin() tells the two apart). */
  private throwIfStopped(signal: AbortSignal): void {
    if (signal.aborted) throw new StorageError('Aborted', `Stopped: upload of ${this.parameters.displayKey}.`);
  }

  private abortedError(cause?: unknown): StorageError {
    return new StorageError('Aborted', `Cancelled: upload of ${this.parameters.displayKey}.`, cause === undefined ? undefined : { cause });
  }

  /** A refused If-None-Match is S3's 412 PreconditionFailed: the key exists already. */
  private toFailure(error: unknown): StorageError {
    const failure = toStorageError(error, `upload of ${this.parameters.displayKey}`);
    const refusedOverwrite = this.parameters.ifNoneMatch && (failure.status === 412 || (error as { name?: string }).name === 'PreconditionFailed');
    if (!refusedOverwrite) return failure;
    return new StorageError('AlreadyExists', `Not replaced: ${this.parameters.displayKey} exists already (the upload asked not to overwrite).`, { cause: error, status: failure.status });
  }
}

/** Marks a promise as handled, so a task nobody awaits does not end the process with an unhandled rejection; awaiting it still rejects. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Waits for `work`, or rejects as soon as `signal` aborts (the work itself goes on). */
function untilAborted<Result>(work: Promise<Result>, signal: AbortSignal): Promise<Result> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Result>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
