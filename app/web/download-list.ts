import type { ScopedStorageClient, StorageLocation } from '../library/index.ts';
import { formatSize } from './display-format.ts';
import { element } from './page-elements.ts';
import { showPath } from './visible-name.ts';

/**
 * Downloads a file into memory with a progress line (bytes as the body is read), then hands it to
 * the browser as a file. The line stays, saying "saved" or "failed".
 */
export async function downloadWithProgress(client: ScopedStorageClient, location: StorageLocation, key: string): Promise<void> {
  const name = key.split('/').pop() || key;
  const item = document.createElement('li');
  item.dataset.key = key;
  item.dataset.state = 'running';
  const label = document.createElement('span');
  label.className = 'name';
  const shownName = showPath(label, name);
  const status = document.createElement('span');
  status.className = 'status';
  status.textContent = '0%';
  const bar = document.createElement('progress');
  bar.setAttribute('aria-label', `Download of ${shownName}`);
  bar.value = 0;
  const bytes = document.createElement('span');
  bytes.className = 'bytes';
  item.append(label, status, bar, bytes);
  element('downloads').append(item);
  try {
    const result = await client.download(location, key, {
      onProgress: ({ loadedBytes, totalBytes }) => {
        const total = Math.max(totalBytes ?? loadedBytes, 1);
        bar.max = total;
        bar.value = loadedBytes;
        status.textContent = `${Math.floor((loadedBytes / total) * 100)}%`;
        bytes.textContent = `${formatSize(loadedBytes)} of ${formatSize(totalBytes ?? loadedBytes)}`;
        item.dataset.loadedBytes = String(loadedBytes);
      },
    });
    const blob = await new Response(result.body).blob();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    status.textContent = 'saved';
    item.dataset.state = 'done';
  } catch (error) {
    status.textContent = 'failed';
    item.dataset.state = 'failed';
    throw error;
  }
}
