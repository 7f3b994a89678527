import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { uploadInParts } from './multipart-upload.ts';
import { planPartSize } from './part-size-plan.ts';
import type { ResumeStore } from './resume-store.ts';
import { StorageError, toStorageError } from './storage-errors.ts';
import { isRandomAccessSource, type RandomAccessSource } from './upload-source.ts';

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
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** Starts an upload and returns its task at once; the work runs in the background. */
export function startUploadTask(parameters: StartUploadTaskParameters): UploadTask {
  // Thin first version: no pause or retry yet (C2 is building the engine).
  const controller = new AbortController();
  parameters.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const progressListeners = new Set<(progress: UploadTaskProgress) => void>();
  const stateListeners = new Set<(state: UploadTaskState) => void>();
  const source = isRandomAccessSource(parameters.body) ? parameters.body : undefined;
  const task = {
    state: 'running' as UploadTaskState,
    progress: { loadedBytes: 0, totalBytes: source?.size } as UploadTaskProgress,
    error: undefined as StorageError | undefined,
    pause() {},
    resume() {},
    async cancel() {
      controller.abort();
      await task.done.catch(() => undefined);
    },
    retry() {},
    onProgress(listener: (progress: UploadTaskProgress) => void) {
      progressListeners.add(listener);
      return () => progressListeners.delete(listener);
    },
    onStateChange(listener: (state: UploadTaskState) => void) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    done: undefined as unknown as Promise<UploadTaskResult>,
  };
  const setProgress = (loadedBytes: number) => {
    task.progress = { loadedBytes, totalBytes: source?.size };
    for (const listener of progressListeners) listener(task.progress);
  };
  const setState = (state: UploadTaskState) => {
    task.state = state;
    for (const listener of stateListeners) listener(state);
  };
  task.done = (async (): Promise<UploadTaskResult> => {
    if (!source) throw new StorageError('InvalidConfiguration', 'Streams are not supported by this first version of upload tasks.');
    const { partSize } = planPartSize(source.size, parameters.partSize ?? DEFAULT_PART_SIZE);
    if (source.size > parameters.multipartThreshold) {
      const result = await uploadInParts({
        s3: parameters.s3, bucket: parameters.bucket, key: parameters.fullKey, source, partSize, concurrency: parameters.concurrency,
        contentType: parameters.contentType, metadata: parameters.metadata, ifNoneMatch: parameters.ifNoneMatch,
        signal: controller.signal, resumeStore: parameters.resumeStore, onProgress: (progress) => setProgress(progress.loadedBytes),
      });
      return { etag: result.etag, size: source.size, resumed: result.resumed };
    }
    const response = await parameters.s3.send(
      new PutObjectCommand({ Bucket: parameters.bucket, Key: parameters.fullKey, Body: await source.read(0, source.size), ContentType: parameters.contentType, Metadata: parameters.metadata, IfNoneMatch: parameters.ifNoneMatch ? '*' : undefined }),
      { abortSignal: controller.signal },
    );
    setProgress(source.size);
    return { etag: response.ETag ?? '', size: source.size, resumed: false };
  })().then(
    (result) => {
      setState('succeeded');
      return result;
    },
    (error: unknown) => {
      const failure = controller.signal.aborted ? new StorageError('Aborted', `Cancelled: upload of ${parameters.displayKey}.`, { cause: error }) : toStorageError(error, `upload of ${parameters.displayKey}`);
      task.error = failure;
      setState(failure.code === 'Aborted' ? 'cancelled' : 'failed');
      throw failure;
    },
  );
  return task;
}
