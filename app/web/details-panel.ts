import type { ScopedStorageClient, StorageLocation } from '../library/index.ts';
import { formatSize } from './display-format.ts';
import { element } from './page-elements.ts';
import { showPath } from './visible-name.ts';

/** The details panel: a file's properties as S3 has them. Closing it gives focus back to the file. */
export class DetailsPanel {
  private opener: HTMLElement | undefined;

  constructor(private readonly client: () => ScopedStorageClient) {
    element('details-close').addEventListener('click', () => this.close());
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
    element('details').hidden = false;
    element('details-title').focus();
  }

  close(): void {
    element('details').hidden = true;
    if (this.opener?.isConnected) this.opener.focus();
    this.opener = undefined;
  }
}
