import { StorageError, type ScopedStorageClient, type StorageLocation } from '../library/index.ts';
import { copyAddress } from './copy-address.ts';
import { formatSize } from './display-format.ts';
import { friendlyError } from './friendly-error.ts';
import { element } from './page-elements.ts';
import { showPath } from './visible-name.ts';

/**
 * The details panel: a file's properties as S3 has them, and (with a CDN) "Get CDN link". Closing
 * it gives focus back to the file.
 */
export class DetailsPanel {
  private opener: HTMLElement | undefined;
  private shown: { location: StorageLocation; key: string } | undefined;

  constructor(
    private readonly client: () => ScopedStorageClient,
    /** Whether the deployment has a CDN (its outputs carry `cdnUrl`). */
    private readonly cdnEnabled: () => boolean,
  ) {
    element('details-close').addEventListener('click', () => this.close());
    element('cdn-link-button').addEventListener('click', () => void this.cdnLink());
    element('cdn-link-copy').addEventListener('click', () => void copyAddress(element<HTMLInputElement>('cdn-link'), element('cdn-link-status')));
  }

  async show(location: StorageLocation, key: string, opener: HTMLElement): Promise<void> {
    const properties = await this.client().properties(location, key);
    const rows: Array<[string, string]> = [
      ['Name', properties.key],
      ['Size', `${formatSize(properties.size)} (${properties.size} bytes)`],
      ['Type', properties.contentType ?? 'unknown'],
      ['Modified', properties.lastModified.toLocaleString()],
      ['ETag', properties.etag],
    ];
    if (properties.checksum) rows.push(['Checksum', properties.checksum]);
    for (const [name, value] of Object.entries(properties.metadata ?? {})) rows.push([`Metadata ${name}`, value]);
    element('details-list').replaceChildren(
      ...rows.flatMap(([term, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = term;
        const dd = document.createElement('dd');
        if (term === 'Name') showPath(dd, value);
        else dd.textContent = value;
        dd.dataset.property = term.toLowerCase();
        return [dt, dd];
      }),
    );
    this.opener = opener;
    this.shown = { location, key };
    element('cdn-link-tools').hidden = !this.cdnEnabled();
    element('cdn-link-result').hidden = true;
    element('cdn-link-status').textContent = '';
    element<HTMLInputElement>('cdn-link').value = '';
    element('details').hidden = false;
    element('details-title').focus();
  }

  /**
   * A public file's unsigned address (it never expires), else a link the token service signs for
   * the lifetime chosen (at most the deployment's maximum).
   */
  private async cdnLink(): Promise<void> {
    if (!this.shown) return;
    const { location, key } = this.shown;
    const status = element('cdn-link-status');
    const client = this.client();
    try {
      const publicAddress = await Promise.resolve()
        .then(() => client.publicUrl(location, key))
        .catch((error: unknown) => {
          if (error instanceof StorageError && error.code === 'InvalidLocation') return undefined;
          throw error;
        });
      if (publicAddress !== undefined) {
        element<HTMLInputElement>('cdn-link').value = publicAddress;
        status.textContent = 'A public file: this address needs no signature and does not expire.';
      } else {
        const link = await client.cdnLink(location, key, { expiresInSeconds: Number(element<HTMLSelectElement>('cdn-link-lifetime').value) });
        element<HTMLInputElement>('cdn-link').value = link.url;
        status.textContent = `Anyone with this link can open the file through the CDN until ${link.expiresAt.toLocaleString()}.`;
      }
      element('cdn-link-result').hidden = false;
      element('cdn-link-copy').focus();
    } catch (error) {
      element('cdn-link-result').hidden = true;
      status.textContent = friendlyError(error);
    }
  }

  close(): void {
    this.shown = undefined;
    element('details').hidden = true;
    if (this.opener?.isConnected) this.opener.focus();
    this.opener = undefined;
  }
}
