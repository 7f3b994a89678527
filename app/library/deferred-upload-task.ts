import { StorageError, toStorageError } from './storage-errors.ts';
import type { UploadTask, UploadTaskProgress, UploadTaskResult, UploadTaskState } from './upload-task.ts';

/**
 * An upload task handed out before its key is known: the client resolves the location (which
 * needs the identity, so a request) and checks the key and permission first. Until then the
 * task is running with nothing sent; pause, resume and cancel are remembered and applied to the
 * real task when it starts (a task cancelled meanwhile never starts). A refusal before the start
 * fails the task; retry() tries the start again.
 */
export function deferUploadTask(prepare: () => Promise<() => UploadTask>, totalBytes: number | undefined): UploadTask {
  return new DeferredUploadTask(prepare, totalBytes);
}

class DeferredUploadTask implements UploadTask {
  private inner: UploadTask | undefined;
  private ownState: UploadTaskState = 'running';
  private ownError: StorageError | undefined;
  private ownDone: Promise<UploadTaskResult>;
  private readonly progressListeners = new Set<(progress: UploadTaskProgress) => void>();
  private readonly stateListeners = new Set<(state: UploadTaskState) => void>();

  constructor(
    private readonly prepare: () => Promise<() => UploadTask>,
    private readonly totalBytes: number | undefined,
  ) {
    this.ownDone = this.begin();
  }

  get state(): UploadTaskState {
    return this.inner?.state ?? this.ownState;
  }

  get progress(): UploadTaskProgress {
    return this.inner?.progress ?? { loadedBytes: 0, totalBytes: this.totalBytes };
  }

  get error(): StorageError | undefined {
    return this.inner ? this.inner.error : this.ownError;
  }

  get done(): Promise<UploadTaskResult> {
    return this.inner ? this.inner.done : this.ownDone;
  }

  pause(): void {
    if (this.inner) return this.inner.pause();
    if (this.ownState === 'running') this.setState('paused');
  }

  resume(): void {
    if (this.inner) return this.inner.resume();
    if (this.ownState === 'paused') this.setState('running');
  }

  async cancel(): Promise<void> {
    if (this.inner) return this.inner.cancel();
    if (this.ownState === 'cancelled') return;
    this.setState('cancelled');
    await this.ownDone.catch(() => undefined);
  }

  retry(): void {
    if (this.inner) return this.inner.retry();
    if (this.ownState !== 'failed') return;
    this.ownError = undefined;
    this.setState('running');
    this.ownDone = this.begin();
  }

  onProgress(listener: (progress: UploadTaskProgress) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  onStateChange(listener: (state: UploadTaskState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private begin(): Promise<UploadTaskResult> {
    const run = (async () => {
      let start: () => UploadTask;
      try {
        start = await this.prepare();
      } catch (error) {
        if (this.ownState === 'cancelled') throw new StorageError('Aborted', 'Cancelled before the upload started.', { cause: error });
        this.ownError = toStorageError(error, 'starting the upload');
        this.setState('failed');
        throw this.ownError;
      }
      if (this.ownState === 'cancelled') throw new StorageError('Aborted', 'Cancelled before the upload started.');
      const inner = start();
      inner.onProgress((progress) => this.progressListeners.forEach((listener) => listener(progress)));
      inner.onStateChange((state) => this.stateListeners.forEach((listener) => listener(state)));
      this.inner = inner;
      if (this.ownState === 'paused') inner.pause();
      return inner.done;
    })();
    run.catch(() => undefined);
    return run;
  }

  private setState(state: UploadTaskState): void {
    this.ownState = state;
    this.stateListeners.forEach((listener) => listener(state));
  }
}
