import type { ScopedStorageClient, StorageLocation } from '../library/index.ts';
import { friendlyError } from './friendly-error.ts';
import { element } from './page-elements.ts';
import { showPath } from './visible-name.ts';

/**
 * The share dialog: the visitor picks how long the link works and whether it opens in the browser
 * or downloads, creates it, and copies it. A link cannot outlive the credentials that sign it; the
 * dialog says so when the library had to shorten it.
 */
export class ShareDialog {
  private target: { location: StorageLocation; key: string } | undefined;

  constructor(private readonly client: () => ScopedStorageClient) {
    element('share-create').addEventListener('click', () => void this.create());
    element('share-copy').addEventListener('click', () => void this.copy());
  }

  open(location: StorageLocation, key: string): void {
    this.target = { location, key };
    showPath(element('share-file'), key);
    element('share-result').hidden = true;
    element<HTMLInputElement>('share-link').value = '';
    const dialog = element<HTMLDialogElement>('share-dialog');
    dialog.showModal();
    element('share-lifetime').focus();
  }

  private async create(): Promise<void> {
    if (!this.target) return;
    const { location, key } = this.target;
    const expiry = element('share-expiry');
    try {
      const link = await this.client().share(location, key, {
        expiresInSeconds: Number(element<HTMLSelectElement>('share-lifetime').value),
        disposition: element<HTMLSelectElement>('share-disposition').value as 'inline' | 'attachment',
        fileName: key.split('/').pop(),
      });
      element<HTMLInputElement>('share-link').value = link.url;
      const until = link.expiresAt.toLocaleString();
      expiry.textContent = link.cappedByCredentials ? `It works until ${until}: no longer, because the credentials that signed it expire then.` : `It works until ${until}.`;
    } catch (error) {
      expiry.textContent = friendlyError(error);
    }
    element('share-result').hidden = false;
    element('share-copy').focus();
  }

  private async copy(): Promise<void> {
    const link = element<HTMLInputElement>('share-link');
    const expiry = element('share-expiry');
    try {
      await navigator.clipboard.writeText(link.value);
      expiry.textContent = 'Copied to the clipboard.';
    } catch {
      link.select();
      expiry.textContent = 'The browser did not allow copying: the link is selected, copy it with Ctrl+C.';
    }
  }
}
