import type { ScopedStorageClient, StorageLocation } from '../library/index.ts';
import { copyAddress } from './copy-address.ts';
import { formatSize } from './display-format.ts';
import { friendlyError } from './friendly-error.ts';
import { element } from './page-elements.ts';
import { uploadAddress } from './upload-address.ts';
import { showPath } from './visible-name.ts';

/**
 * "Request files": makes a single-use PUT upload link into the folder shown and hands out the
 * one-page uploader's address with the link in its fragment. The link is signed with the visitor's
 * own credentials, so it cannot outlive them; the dialog says when it ends.
 */
export class RequestFilesDialog {
  private folder: { location: StorageLocation; path: string } | undefined;

  constructor(private readonly client: () => ScopedStorageClient) {
    element('request-create').addEventListener('click', () => void this.create());
    element('request-copy').addEventListener('click', () => void copyAddress(element<HTMLInputElement>('request-address'), element('request-expiry')));
  }

  open(location: StorageLocation, path: string): void {
    this.folder = { location, path };
    showPath(element('request-folder'), `${location.name}:${path}`);
    element('request-result').hidden = true;
    element<HTMLInputElement>('request-address').value = '';
    element<HTMLDialogElement>('request-dialog').showModal();
    element('request-max-size').focus();
  }

  private async create(): Promise<void> {
    if (!this.folder) return;
    const { location, path } = this.folder;
    const maxBytes = Number(element<HTMLSelectElement>('request-max-size').value);
    const contentType = element<HTMLSelectElement>('request-type').value || undefined;
    const expiresInSeconds = Number(element<HTMLSelectElement>('request-lifetime').value);
    const expiry = element('request-expiry');
    try {
      const link = await this.client().createUploadLink(location, path, { maxBytes, contentType, expiresInSeconds, method: 'PUT' });
      element<HTMLInputElement>('request-address').value = uploadAddress(window.location.origin, {
        url: link.url,
        method: 'PUT',
        headers: link.headers ?? {},
        key: link.key,
        expiresAt: link.expiresAt.toISOString(),
        maxBytes,
        ...(contentType ? { contentType } : {}),
      });
      const until = link.expiresAt.toLocaleString();
      const capped = link.expiresAt.getTime() < Date.now() + expiresInSeconds * 1000 - 5000;
      expiry.textContent = `Anyone with this address can upload one file of at most ${formatSize(maxBytes)} into this folder, once, until ${until}${capped ? ' (no longer: your credentials that signed it expire then)' : ''}. It cannot read or replace any other file.`;
      element('request-result').hidden = false;
      element('request-copy').focus();
    } catch (error) {
      expiry.textContent = friendlyError(error);
      element('request-result').hidden = false;
      element<HTMLInputElement>('request-address').value = '';
    }
  }
}
