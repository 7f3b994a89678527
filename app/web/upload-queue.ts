import { StorageError, type ScopedStorageClient, type UploadTask, type UploadTaskState } from '../library/index.ts';
import { formatSize } from './display-format.ts';
import type { FolderTarget } from './folder-view.ts';
import { friendlyError } from './friendly-error.ts';
import { ask } from './page-dialogs.ts';
import { actionButton, element } from './page-elements.ts';
import { showMessage } from './page-message.ts';
import { showPath, visiblePath } from './visible-name.ts';

export interface UploadQueueContext {
  client(): ScopedStorageClient;
  /** Called when a file landed in `target`, so the folder shown can list it. */
  uploaded(target: FolderTarget): Promise<void>;
}

type ReplaceAnswer = 'replace' | 'keep-both' | 'skip';

/**
 * One line per file: its byte progress, and Pause/Resume/Cancel/Retry as its state allows.
 * Nothing is replaced silently: each upload asks S3 not to overwrite (If-None-Match), and only
 * when S3 says the name is taken does the page ask whether to replace, keep both or skip.
 */
export class UploadQueue {
  constructor(private readonly context: UploadQueueContext) {}

  add(target: FolderTarget, file: File): void {
    const item = document.createElement('li');
    item.dataset.file = file.name;
    const label = document.createElement('span');
    label.className = 'name';
    const shownName = showPath(label, file.name);
    const status = document.createElement('span');
    status.className = 'status';
    const bar = document.createElement('progress');
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    bar.setAttribute('aria-label', `Upload of ${shownName}`);
    const bytes = document.createElement('span');
    bytes.className = 'bytes';
    const buttons = document.createElement('div');
    buttons.className = 'transfer-buttons';
    item.append(label, status, bar, bytes, buttons);
    element('uploads').append(item);
    void this.run(target, file, file.name, false, { item, status, bar, bytes, buttons });
  }

  private async run(target: FolderTarget, file: File, name: string, replace: boolean, view: UploadView): Promise<void> {
    const key = `${target.path}${name}`;
    const task = this.context.client().startUpload(target.location, key, file, { contentType: file.type || undefined, ifNoneMatch: !replace });
    view.item.dataset.key = key;
    const showProgress = () => {
      const { loadedBytes } = task.progress;
      const total = Math.max(file.size, 1);
      view.bar.value = loadedBytes;
      view.bytes.textContent = `${formatSize(loadedBytes)} of ${formatSize(file.size)}`;
      if (task.state === 'running') view.status.textContent = `${Math.floor((loadedBytes / total) * 100)}%`;
    };
    const showState = (state: UploadTaskState) => {
      view.item.dataset.state = state;
      if (state !== 'running') view.status.textContent = STATE_WORDS[state];
      else showProgress();
      this.renderButtons(task, view, name);
    };
    task.onProgress(showProgress);
    task.onStateChange(showState);
    showState(task.state);
    try {
      await task.done;
      await this.context.uploaded(target);
    } catch (error) {
      if (error instanceof StorageError && error.code === 'AlreadyExists') {
        await this.whenTaken(target, file, name, view);
        return;
      }
      if (task.state === 'cancelled') return;
      showMessage(`${visiblePath(name)}: ${friendlyError(error)}`, 'error');
    }
  }

  private async whenTaken(target: FolderTarget, file: File, name: string, view: UploadView): Promise<void> {
    view.item.dataset.state = 'asking';
    view.status.textContent = 'name taken';
    view.buttons.replaceChildren();
    const answer = await ask<ReplaceAnswer>(
      'Replace the file?',
      `${visiblePath(name)} already exists in this folder.`,
      [
        { value: 'replace', label: 'Replace it', primary: true },
        { value: 'keep-both', label: 'Keep both' },
        { value: 'skip', label: 'Keep the existing one' },
      ],
      'skip',
    );
    if (answer === 'skip') {
      view.item.dataset.state = 'skipped';
      view.status.textContent = 'skipped: kept the existing file';
      // Nothing was sent and nothing will be: a bar at "0 B of 6 B" would read as a stalled upload.
      view.bar.remove();
      view.bytes.remove();
      return;
    }
    const newName = answer === 'keep-both' ? numberedName(name) : name;
    if (newName !== name) view.item.dataset.file = newName;
    await this.run(target, file, newName, answer === 'replace', view);
  }

  private renderButtons(task: UploadTask, view: UploadView, name: string): void {
    const shownName = visiblePath(name);
    const report = (error: unknown) => showMessage(`${shownName}: ${friendlyError(error)}`, 'error');
    const focused = view.buttons.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.action : undefined;
    const buttons: HTMLButtonElement[] = [];
    if (task.state === 'running') buttons.push(actionButton('Pause', 'pause', () => task.pause(), report, `Pause upload of ${shownName}`));
    if (task.state === 'paused') buttons.push(actionButton('Resume', 'resume', () => task.resume(), report, `Resume upload of ${shownName}`));
    if (task.state === 'failed') buttons.push(actionButton('Retry', 'retry', () => task.retry(), report, `Retry upload of ${shownName}`));
    if (task.state === 'running' || task.state === 'paused' || task.state === 'failed') buttons.push(actionButton('Cancel', 'cancel', () => task.cancel(), report, `Cancel upload of ${shownName}`));
    view.buttons.replaceChildren(...buttons);
    // Pause becomes Resume under the keyboard user's focus: keep focus on the button that took its place.
    if (focused) (buttons.find((button) => button.dataset.action !== 'cancel') ?? buttons[0])?.focus();
  }
}

interface UploadView {
  item: HTMLLIElement;
  status: HTMLElement;
  bar: HTMLProgressElement;
  bytes: HTMLElement;
  buttons: HTMLElement;
}

const STATE_WORDS: Record<UploadTaskState, string> = { running: '', paused: 'paused', succeeded: 'done', failed: 'failed', cancelled: 'cancelled' };

/** `report.pdf` -> `report (1).pdf`, `report (1).pdf` -> `report (2).pdf`: the "keep both" name. */
function numberedName(name: string): string {
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const numbered = /^(.*) \((\d+)\)$/.exec(stem);
  return numbered ? `${numbered[1]} (${Number(numbered[2]) + 1})${extension}` : `${stem} (1)${extension}`;
}
