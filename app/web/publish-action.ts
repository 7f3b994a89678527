import { permissionsAt, type ScopedStorageClient, type StorageLocation } from '../library/index.ts';
import { showAddress } from './address-dialog.ts';
import { ask } from './page-dialogs.ts';
import { showMessage } from './page-message.ts';
import { visiblePath } from './visible-name.ts';

/** The location whose files anyone may read through the CDN without a signature. */
const PUBLIC_LOCATION = 'public';

/**
 * "Publish": moves a file into the visitor's own folder of the `public` location, under the same
 * key relative to its location (in a protected location, relative to the identity's folder), and
 * shows its unsigned CDN address. The move refuses to replace a file already published there.
 */
export class Publisher {
  constructor(private readonly client: () => ScopedStorageClient) {}

  /** The public location among the identity's `locations`, when it may publish from `location` at all. */
  private target(location: StorageLocation, locations: readonly StorageLocation[]): { publicLocation: StorageLocation; identityId: string } | undefined {
    if (location.name === PUBLIC_LOCATION) return undefined;
    const publicLocation = locations.find((candidate) => candidate.name === PUBLIC_LOCATION);
    const own = publicLocation?.ownFolder;
    if (!publicLocation || !own?.permissions.includes('write')) return undefined;
    return { publicLocation, identityId: own.identityId };
  }

  /** Whether a file in `location` (at `key`) can be published: the move needs read and delete there, and a public folder of one's own. */
  available(location: StorageLocation, key: string, locations: readonly StorageLocation[]): boolean {
    const rights = permissionsAt(location, key);
    return rights.includes('read') && rights.includes('delete') && this.target(location, locations) !== undefined;
  }

  /** Asks first; true when the file was moved (the folder it left should be listed again). */
  async publish(location: StorageLocation, key: string): Promise<boolean> {
    const target = this.target(location, await this.client().locations());
    if (!target) return false;
    const relative = location.kind === 'protected' ? key.slice(key.indexOf('/') + 1) : key;
    const publicKey = `${target.identityId}/${relative}`;
    const name = visiblePath(relative);
    const answer = await ask('Publish file?', `Publish ${name}? It moves to Public, where anyone with its address can open it without signing in.`, [{ value: 'publish', label: 'Publish', primary: true }, { value: 'cancel', label: 'Cancel' }], 'cancel');
    if (answer !== 'publish') return false;
    const client = this.client();
    const moved = await client.move({ location, key }, { location: target.publicLocation, key: publicKey }, { ifNoneMatch: true });
    const address = await client.publicUrl(target.publicLocation, publicKey);
    if (!moved.sourceDeleted) showMessage(`${name} is published, but its copy in ${location.name} could not be removed: ${moved.deleteFailure?.message ?? 'unknown reason'}.`, 'error');
    showAddress('Published', `${name} is public now. Anyone with this address can open it, without signing in, for as long as it stays in Public.`, address);
    return true;
  }
}
