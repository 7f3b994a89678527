import { isIdentityId, permissionsAt, StorageError, type AccessPermission, type ScopedStorageClient, type StorageLocation, type StoredObject } from '../library/index.ts';
import { countOf, formatSize, timeElement } from './display-format.ts';
import { friendlyError } from './friendly-error.ts';
import { locationLabel, startPathOf } from './location-access.ts';
import { ask, askFolderName } from './page-dialogs.ts';
import { actionButton, element } from './page-elements.ts';
import { showMessage } from './page-message.ts';
import { ESCAPED_NAME_NOTE, visiblePath } from './visible-name.ts';

/** What the folder view needs from the page around it. */
export interface FolderViewContext {
  client(): ScopedStorageClient;
  pageSize: number;
  report(error: unknown): void;
  /** Told of every folder opened (the photo grid follows it). */
  folderOpened?(location: StorageLocation, path: string): Promise<void>;
}

/** What a file's buttons do besides deleting, done by the parts of the page that own them. */
export interface FileActions {
  details(location: StorageLocation, key: string, opener: HTMLElement): Promise<void>;
  download(location: StorageLocation, key: string): Promise<void>;
  share(location: StorageLocation, key: string, opener: HTMLElement): void;
  /** Whether "Publish" applies to this file (a CDN, a public folder of one's own, and the rights to move it). */
  canPublish(location: StorageLocation, key: string, locations: readonly StorageLocation[]): boolean;
  /** True when the file was moved away. */
  publish(location: StorageLocation, key: string): Promise<boolean>;
}

/** Where uploads go: the folder shown, if this identity may write there. */
export interface FolderTarget {
  location: StorageLocation;
  path: string;
}

/**
 * The storage browser's middle: the location picker, the breadcrumbs, the folder's entries page
 * by page ("Load more"), and the folder actions (open, create, delete with a count). Listings that
 * come back after the user moved on are dropped.
 */
export class FolderView {
  private locations: StorageLocation[] = [];
  private location: StorageLocation | undefined;
  private path = '';
  private nextToken: string | undefined;
  private loadingMore = false;
  private generation = 0;
  /** Identity ids opened by app user id, shown by that id in the breadcrumbs. */
  private readonly userIdsByIdentity = new Map<string, string>();

  constructor(
    private readonly context: FolderViewContext,
    private readonly fileActions: FileActions,
  ) {
    element('load-more').addEventListener('click', () => void this.loadPage(this.generation, true));
    element('new-folder-button').addEventListener('click', () => void this.createFolder().catch((error: unknown) => this.context.report(error)));
    element<HTMLFormElement>('open-folder-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.openSomeonesFolder(element<HTMLInputElement>('open-folder-input').value.trim()).catch((error: unknown) => this.context.report(error));
    });
  }

  /** The folder uploads go to, or undefined when the identity may not write in the folder shown. */
  uploadTarget(): FolderTarget | undefined {
    if (!this.location || !this.can('write')) return undefined;
    return { location: this.location, path: this.path };
  }

  /** Shows `target` again if it is still the folder on screen (after an upload into it). */
  async refreshIfShowing(target: FolderTarget): Promise<void> {
    if (this.location?.name === target.location.name && this.path === target.path) await this.refresh();
  }

  /** Reads the locations for the current identity and opens the one shown before (or the own one). */
  async showLocations(): Promise<void> {
    this.locations = await this.context.client().locations();
    const again = this.locations.find((location) => location.name === this.location?.name);
    const start = again ?? this.locations.find((location) => location.isDefault) ?? this.locations[0];
    this.renderPicker();
    if (start) await this.open(start, again ? this.path : startPathOf(start));
  }

  forget(): void {
    this.generation += 1;
    this.locations = [];
    this.location = undefined;
    this.path = '';
    this.userIdsByIdentity.clear();
    element('locations').replaceChildren();
    element('entries').replaceChildren();
  }

  async open(location: StorageLocation, path: string): Promise<void> {
    this.location = location;
    this.path = path;
    this.renderPicker();
    this.renderBreadcrumbs();
    this.renderTools();
    this.context.folderOpened?.(location, path).catch((error: unknown) => this.context.report(error));
    await this.refresh();
  }

  async refresh(): Promise<void> {
    this.generation += 1;
    this.nextToken = undefined;
    element('entries').replaceChildren();
    element('empty').hidden = true;
    await this.loadPage(this.generation, false);
  }

  private can(permission: AccessPermission): boolean {
    return this.location !== undefined && permissionsAt(this.location, this.path || undefined).includes(permission);
  }

  private renderPicker(): void {
    const items = this.locations.map((location) => {
      const item = document.createElement('li');
      const button = actionButton(locationLabel(location), 'location', () => this.open(location, startPathOf(location)), (error) => this.context.report(error));
      button.dataset.location = location.name;
      button.setAttribute('aria-current', String(location.name === this.location?.name));
      item.append(button);
      return item;
    });
    element('locations').replaceChildren(...items);
  }

  private renderBreadcrumbs(): void {
    const location = this.location!;
    const crumbs: Array<{ label: string; path: string }> = [{ label: locationLabel(location), path: startPathOf(location) }];
    const segments = this.path.split('/').filter((segment) => segment !== '');
    segments.forEach((segment, index) => {
      const path = `${segments.slice(0, index + 1).join('/')}/`;
      if (index === 0 && location.kind === 'protected') {
        const own = location.ownFolder?.identityId === segment;
        if (own) return; // the location's crumb is the own folder already
        crumbs.push({ label: this.userIdsByIdentity.get(segment) ?? visiblePath(segment), path });
        return;
      }
      crumbs.push({ label: visiblePath(segment), path });
    });
    const items = crumbs.map((crumb, index) => {
      const item = document.createElement('li');
      if (index === crumbs.length - 1) {
        const current = document.createElement('span');
        current.textContent = crumb.label;
        current.setAttribute('aria-current', 'page');
        item.append(current);
      } else {
        item.append(actionButton(crumb.label, 'breadcrumb', () => this.open(location, crumb.path), (error) => this.context.report(error)));
      }
      return item;
    });
    element('breadcrumbs').replaceChildren(...items);
    element('folder-title').textContent = crumbs.at(-1)!.label;
  }

  private renderTools(): void {
    const location = this.location!;
    const writable = this.can('write');
    element('write-tools').hidden = !writable;
    element('read-only-note').hidden = writable || (location.kind === 'protected' && this.path === '');
    element('open-folder-form').hidden = location.kind !== 'protected';
  }

  private async loadPage(generation: number, more: boolean): Promise<void> {
    const location = this.location;
    if (!location || (more && this.loadingMore)) return;
    const entries = element('entries');
    element('list-error').hidden = true;
    entries.setAttribute('aria-busy', 'true');
    this.loadingMore = more;
    try {
      await this.listInto(location, generation, more);
    } finally {
      this.loadingMore = false;
      if (generation === this.generation) entries.setAttribute('aria-busy', 'false');
    }
  }

  private async listInto(location: StorageLocation, generation: number, more: boolean): Promise<void> {
    const loadMore = element('load-more');
    if (location.kind === 'protected' && this.path === '') {
      this.showEmpty("Enter someone's user id or identity id above to open their folder.");
      loadMore.hidden = true;
      return;
    }
    if (!this.can('list')) {
      this.showEmpty('You may open files here by name, but not list them.');
      loadMore.hidden = true;
      return;
    }
    try {
      const page = await this.context.client().listFolder({ location, prefix: this.path || undefined, pageSize: this.context.pageSize, nextToken: more ? this.nextToken : undefined });
      if (generation !== this.generation) return;
      this.nextToken = page.nextToken;
      const items = [...page.folders.map((folder) => this.folderEntry(location, folder)), ...page.files.filter((file) => !file.key.endsWith('/')).map((file) => this.fileEntry(location, file))];
      element('entries').append(...items);
      loadMore.hidden = page.nextToken === undefined;
      // "Load more" vanished under the keyboard user's focus: continue at the first new entry.
      if (more && loadMore.hidden) items[0]?.querySelector('button')?.focus();
      if (element('entries').childElementCount === 0) this.showEmpty(this.emptyText(location));
      else element('empty').hidden = true;
    } catch (error) {
      if (generation !== this.generation) return;
      element('empty').hidden = true;
      loadMore.hidden = true;
      const listError = element('list-error');
      listError.textContent = `This folder could not be listed. ${friendlyError(error)}`;
      listError.hidden = false;
    }
  }

  private emptyText(location: StorageLocation): string {
    if (this.can('write')) return 'This folder is empty. Upload files or create a folder.';
    if (location.kind === 'shared') return 'Nothing has been shared here yet.';
    return 'This folder is empty.';
  }

  private showEmpty(text: string): void {
    const empty = element('empty');
    empty.textContent = text;
    empty.hidden = false;
  }

  /** `folder` as listFolder names it: the folder's path relative to the location, ending in `/`. */
  private folderEntry(location: StorageLocation, folder: string): HTMLLIElement {
    const path = folder.endsWith('/') ? folder : `${folder}/`;
    const name = visiblePath(path.slice(this.path.length));
    const item = document.createElement('li');
    item.className = 'entry';
    item.dataset.folder = path;
    const open = actionButton(`${name}`, 'open', () => this.open(location, path), (error) => this.context.report(error), `Open folder ${name}`);
    open.className = 'entry-name';
    if (name !== path.slice(this.path.length)) open.title = ESCAPED_NAME_NOTE;
    const facts = document.createElement('span');
    facts.className = 'entry-facts';
    facts.textContent = 'folder';
    const actions = document.createElement('div');
    actions.className = 'entry-actions';
    if (this.can('delete') && this.can('list')) actions.append(actionButton('Delete', 'delete', () => this.deleteFolder(location, path), (error) => this.context.report(error), `Delete folder ${name}`));
    item.append(open, facts, actions);
    return item;
  }

  private fileEntry(location: StorageLocation, file: StoredObject): HTMLLIElement {
    const name = visiblePath(file.key.slice(this.path.length));
    const item = document.createElement('li');
    item.className = 'entry';
    item.dataset.key = file.key;
    const report = (error: unknown) => this.context.report(error);
    const details = actionButton(name, 'details', () => this.fileActions.details(location, file.key, details), report, `Details of ${name}`);
    details.className = 'entry-name';
    if (name !== file.key.slice(this.path.length)) details.title = ESCAPED_NAME_NOTE;
    const facts = document.createElement('span');
    facts.className = 'entry-facts';
    const size = document.createElement('span');
    size.className = 'entry-size';
    size.textContent = formatSize(file.size);
    facts.append(size, ' · ', timeElement(file.lastModified));
    const actions = document.createElement('div');
    actions.className = 'entry-actions';
    if (this.can('read')) {
      actions.append(actionButton('Download', 'download', () => this.fileActions.download(location, file.key), report, `Download ${name}`));
      const share = actionButton('Share', 'share', () => this.fileActions.share(location, file.key, share), report, `Share ${name}`);
      actions.append(share);
    }
    if (this.fileActions.canPublish(location, file.key, this.locations)) {
      actions.append(actionButton('Publish', 'publish', () => this.publishFile(location, file.key), report, `Publish ${name}`));
    }
    if (this.can('delete')) actions.append(actionButton('Delete', 'delete', () => this.deleteFile(location, file.key, name), report, `Delete ${name}`));
    item.append(details, facts, actions);
    return item;
  }

  private async createFolder(): Promise<void> {
    const target = this.uploadTarget();
    if (!target) return;
    const name = await askFolderName();
    if (name === undefined) return;
    await this.context.client().createFolder(target.location, `${target.path}${name}`);
    await this.refreshIfShowing(target);
    showMessage(`Created folder ${visiblePath(name)}.`);
    document.querySelector<HTMLButtonElement>(`#entries li[data-folder="${CSS.escape(`${target.path}${name}/`)}"] button`)?.focus();
  }

  private async publishFile(location: StorageLocation, key: string): Promise<void> {
    if (await this.fileActions.publish(location, key)) await this.refresh();
  }

  private async deleteFile(location: StorageLocation, key: string, name: string): Promise<void> {
    const answer = await ask('Delete file?', `Delete ${name}? This cannot be undone.`, [{ value: 'delete', label: 'Delete', primary: true }, { value: 'cancel', label: 'Cancel' }], 'cancel');
    if (answer !== 'delete') return;
    await this.context.client().remove(location, key);
    showMessage(`Deleted ${name}.`);
    await this.refresh();
    element('folder-title').focus();
  }

  private async deleteFolder(location: StorageLocation, path: string): Promise<void> {
    const client = this.context.client();
    const summary = await client.summarizeFolder(location, path);
    const contents = summary.files === 0 ? 'It holds no files.' : `It holds ${countOf(summary.files, 'file')} (${formatSize(summary.bytes)}), which will be deleted too.`;
    const answer = await ask('Delete folder?', `Delete the folder ${visiblePath(path)}? ${contents} This cannot be undone.`, [{ value: 'delete', label: summary.files === 0 ? 'Delete folder' : `Delete ${countOf(summary.files, 'file')}`, primary: true }, { value: 'cancel', label: 'Cancel' }], 'cancel');
    if (answer !== 'delete') return;
    const result = await client.deleteFolder(location, path);
    if (result.failed.length > 0) showMessage(`${countOf(result.failed.length, 'file')} could not be deleted, for example ${visiblePath(result.failed[0]!.key)}: ${result.failed[0]!.message || result.failed[0]!.code}.`, 'error');
    else showMessage(`Deleted the folder ${visiblePath(path)} (${countOf(result.deleted, 'item')}).`);
    await this.refresh();
    element('folder-title').focus();
  }

  /** Opens another identity's folder in the protected location: by identity id, or by app user id through the token service. */
  private async openSomeonesFolder(who: string): Promise<void> {
    const location = this.location;
    if (!location || location.kind !== 'protected' || who === '') return;
    let identityId = who;
    if (!isIdentityId(who)) {
      const found = await this.context
        .client()
        .lookupIdentity(who)
        .catch((error: unknown) => {
          if (error instanceof StorageError && error.code === 'NotFound') return undefined;
          throw error;
        });
      // Not a failure of the page: the user may simply never have used storage (or not exist; the service does not say which).
      if (!found) return showMessage(`No user "${who}" has used storage yet, so they have no protected folder.`, 'error');
      identityId = found.identityId;
      this.userIdsByIdentity.set(identityId, who);
    }
    await this.open(location, `${identityId}/`);
    element('folder-title').focus();
  }
}
