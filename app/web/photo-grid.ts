import { cdnObjectUrl } from '../library/cdn-address.ts';
import { permissionsAt, type ScopedStorageClient, type StorageLocation, type StoredObject } from '../library/index.ts';
import type { CdnCookieSession } from './cdn-cookie-session.ts';
import { countOf } from './display-format.ts';
import { friendlyError } from './friendly-error.ts';
import { actionButton, element } from './page-elements.ts';
import { ESCAPED_NAME_NOTE, visiblePath } from './visible-name.ts';

/** What the browser shows as an image, by the name's ending (a listing carries no content type). */
const IMAGE_NAME = /\.(?:jpe?g|png|gif|webp|avif|bmp|ico)$/i;
/** A grid of thousands of images helps no one; the list view has them all. */
const MOST_IMAGES = 500;

export interface PhotoGridContext {
  client(): ScopedStorageClient;
  cdnUrl: string;
  cookies: CdnCookieSession;
  details(location: StorageLocation, key: string, opener: HTMLElement): Promise<void>;
  report(error: unknown): void;
}

/**
 * The folder's images straight from the CDN, above its list (which keeps the folders to open): every `<img>` is the object's plain CDN address and
 * the browser sends the signed cookies with it, so no image is signed on its own. The page, the
 * token service that sets the cookies and the CDN must share a host name for that (`localhost`
 * locally, a parent domain on AWS).
 */
export class PhotoGrid {
  private showing = false;
  private folder: { location: StorageLocation; path: string } | undefined;
  private generation = 0;

  constructor(private readonly context: PhotoGridContext) {
    element('photo-grid-button').addEventListener('click', () => void this.toggle().catch((error: unknown) => this.context.report(error)));
  }

  /** Called when the folder view opens a folder: the grid follows it while it is shown. */
  async folderOpened(location: StorageLocation, path: string): Promise<void> {
    this.folder = { location, path };
    const listable = permissionsAt(location, path || undefined).includes('list') && !(location.kind === 'protected' && path === '');
    element('photo-grid-button').hidden = !listable;
    if (!listable && this.showing) this.setShowing(false);
    if (this.showing) await this.render();
  }

  forget(): void {
    this.generation += 1;
    this.setShowing(false);
    this.folder = undefined;
    element('photo-grid').replaceChildren();
  }

  private async toggle(): Promise<void> {
    this.setShowing(!this.showing);
    if (this.showing) await this.render();
  }

  private setShowing(showing: boolean): void {
    this.showing = showing;
    const button = element('photo-grid-button');
    button.setAttribute('aria-pressed', String(showing));
    element('photo-grid-view').hidden = !showing;
  }

  private async render(): Promise<void> {
    const folder = this.folder;
    if (!folder) return;
    const generation = ++this.generation;
    const grid = element('photo-grid');
    const status = element('photo-grid-status');
    grid.replaceChildren();
    grid.setAttribute('aria-busy', 'true');
    status.textContent = 'Loading photos…';
    try {
      const [covered, images] = await Promise.all([this.context.cookies.locations(), this.images(folder.location, folder.path)]);
      if (generation !== this.generation) return;
      if (images.length > 0 && !covered.has(folder.location.name) && !(await this.isPublic(folder.location, images[0]!))) {
        status.textContent = 'Photos in this location cannot be shown through the CDN.';
        return;
      }
      grid.append(...images.map((file) => this.tile(folder.location, folder.path, file)));
      status.textContent = images.length === 0 ? 'No photos in this folder.' : `${countOf(images.length, 'photo')}${images.length === MOST_IMAGES ? ' (the first ones; the list has them all)' : ''}.`;
    } catch (error) {
      if (generation === this.generation) status.textContent = `The photos could not be shown. ${friendlyError(error)}`;
    } finally {
      if (generation === this.generation) grid.setAttribute('aria-busy', 'false');
    }
  }

  /** A public location's files need no cookies: the CDN serves them unsigned. */
  private async isPublic(location: StorageLocation, image: StoredObject): Promise<boolean> {
    return this.context
      .client()
      .publicUrl(location, image.key)
      .then(
        () => true,
        () => false,
      );
  }

  private async images(location: StorageLocation, path: string): Promise<StoredObject[]> {
    const found: StoredObject[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.context.client().listFolder({ location, prefix: path || undefined, nextToken });
      found.push(...page.files.filter((file) => IMAGE_NAME.test(file.key)));
      nextToken = page.nextToken;
    } while (nextToken && found.length < MOST_IMAGES);
    return found.slice(0, MOST_IMAGES);
  }

  private tile(location: StorageLocation, path: string, file: StoredObject): HTMLLIElement {
    const relative = file.key.slice(path.length);
    const name = visiblePath(relative);
    const item = document.createElement('li');
    item.dataset.key = file.key;
    const image = document.createElement('img');
    image.src = cdnObjectUrl(this.context.cdnUrl, `${location.prefix}${file.key}`);
    image.alt = name;
    image.loading = 'lazy';
    image.decoding = 'async';
    const caption = actionButton(name, 'details', () => this.context.details(location, file.key, caption), (error) => this.context.report(error), `Details of ${name}`);
    caption.className = 'photo-name';
    if (name !== relative) caption.title = ESCAPED_NAME_NOTE;
    item.append(image, caption);
    return item;
  }
}
