import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../../persistence/atomic-file.ts';
import { ResourceConflictException, ResourceNotFoundException } from '../cognito-errors.ts';
import type { IdentityPool } from './identity-pool.ts';

export interface Identity {
  /** `region:uuid` (the region of the pool). */
  identityId: string;
  identityPoolId: string;
  /** User ids of the pool's developer provider linked to this identity. */
  developerUserIdentifiers: string[];
  /** An identity becomes authenticated when a login is first linked; guests never had one. */
  authenticated: boolean;
  creationDate: string;
  lastModifiedDate: string;
}

interface StoredState {
  pools: IdentityPool[];
  identities: Identity[];
}

/** AWS limits how many logins one identity may collect through merges. */
const MAX_LINKED_LOGINS = 20;

/**
 * Identity pools and identities, kept in memory and written atomically to
 * `<dataDirectory>/cognito/identities.json` after every change. Changes happen synchronously in
 * memory, so concurrent requests never interleave halfway; writes are queued so the file always
 * ends with the newest state.
 */
export class IdentityStore {
  private readonly pools = new Map<string, IdentityPool>();
  private readonly identities = new Map<string, Identity>();
  /** `<poolId>\n<developer user id>` -> identity id. */
  private readonly identityByDeveloperUser = new Map<string, string>();
  private pendingWrite: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly clock: () => Date,
  ) {}

  /** Loads the stored state; pools given here replace stored pools of the same id. */
  static async open(options: { dataDirectory: string; identityPools: IdentityPool[]; clock: () => Date }): Promise<IdentityStore> {
    const store = new IdentityStore(join(options.dataDirectory, 'cognito', 'identities.json'), options.clock);
    const stored = await readJsonFile<StoredState>(store.path);
    for (const pool of [...(stored?.pools ?? []), ...options.identityPools]) store.pools.set(pool.identityPoolId, pool);
    for (const identity of stored?.identities ?? []) store.index(identity);
    await store.persist();
    return store;
  }

  pool(identityPoolId: string): IdentityPool {
    const pool = this.pools.get(identityPoolId);
    if (!pool) throw new ResourceNotFoundException(`IdentityPool '${identityPoolId}' not found.`);
    return pool;
  }

  findIdentity(identityId: string): Identity | undefined {
    return this.identities.get(identityId);
  }

  identity(identityId: string): Identity {
    const identity = this.identities.get(identityId);
    if (!identity) throw new ResourceNotFoundException(`Identity '${identityId}' not found.`);
    return identity;
  }

  /** The identity of `identityId` inside `identityPoolId`; an identity of another pool counts as missing. */
  identityInPool(identityPoolId: string, identityId: string): Identity {
    const identity = this.identity(identityId);
    if (identity.identityPoolId !== identityPoolId) throw new ResourceNotFoundException(`Identity '${identityId}' not found in identity pool '${identityPoolId}'.`);
    return identity;
  }

  identityOfDeveloperUser(identityPoolId: string, developerUserIdentifier: string): Identity | undefined {
    const identityId = this.identityByDeveloperUser.get(developerUserKey(identityPoolId, developerUserIdentifier));
    return identityId === undefined ? undefined : this.identities.get(identityId);
  }

  async createIdentity(identityPoolId: string, developerUserIdentifier?: string): Promise<Identity> {
    const now = this.clock().toISOString();
    const region = identityPoolId.split(':')[0];
    const identity: Identity = {
      identityId: `${region}:${randomUUID()}`,
      identityPoolId,
      developerUserIdentifiers: developerUserIdentifier === undefined ? [] : [developerUserIdentifier],
      authenticated: developerUserIdentifier !== undefined,
      creationDate: now,
      lastModifiedDate: now,
    };
    this.index(identity);
    await this.persist();
    return identity;
  }

  /**
   * Links a developer user to an existing identity. An identity holds one developer user unless
   * users were merged on purpose, so linking a second one is a conflict: otherwise anyone who
   * learns an identity id could attach their own login to it.
   */
  async linkDeveloperUser(identity: Identity, developerUserIdentifier: string): Promise<Identity> {
    const owner = this.identityOfDeveloperUser(identity.identityPoolId, developerUserIdentifier);
    if (owner?.identityId === identity.identityId) return identity;
    if (owner) throw new ResourceConflictException(`Developer user '${developerUserIdentifier}' is already linked to a different identity.`);
    if (identity.developerUserIdentifiers.length > 0) {
      throw new ResourceConflictException(
        `Identity '${identity.identityId}' is already linked to a different developer user; use MergeDeveloperIdentities to combine users.`,
      );
    }
    this.replace(identity, { developerUserIdentifiers: [developerUserIdentifier], authenticated: true });
    await this.persist();
    return this.identity(identity.identityId);
  }

  /** Moves every developer user of the source user's identity onto the destination user's identity and removes the source identity. */
  async mergeDeveloperUsers(identityPoolId: string, sourceUser: string, destinationUser: string): Promise<Identity> {
    const source = this.identityOfDeveloperUser(identityPoolId, sourceUser);
    const destination = this.identityOfDeveloperUser(identityPoolId, destinationUser);
    if (!source) throw new ResourceNotFoundException(`Developer user '${sourceUser}' is not linked to any identity of pool '${identityPoolId}'.`);
    if (!destination) throw new ResourceNotFoundException(`Developer user '${destinationUser}' is not linked to any identity of pool '${identityPoolId}'.`);
    if (source.identityId === destination.identityId) return destination;
    const merged = [...destination.developerUserIdentifiers, ...source.developerUserIdentifiers];
    if (merged.length > MAX_LINKED_LOGINS) {
      throw new ResourceConflictException(`The merged identity would have ${merged.length} linked logins; at most ${MAX_LINKED_LOGINS} are allowed.`);
    }
    this.remove(source);
    this.replace(destination, { developerUserIdentifiers: merged });
    await this.persist();
    return this.identity(destination.identityId);
  }

  async unlinkDeveloperUser(identity: Identity, developerUserIdentifier: string): Promise<void> {
    if (!identity.developerUserIdentifiers.includes(developerUserIdentifier)) {
      throw new ResourceNotFoundException(`Developer user '${developerUserIdentifier}' is not linked to identity '${identity.identityId}'.`);
    }
    this.replace(identity, { developerUserIdentifiers: identity.developerUserIdentifiers.filter((user) => user !== developerUserIdentifier) });
    await this.persist();
  }

  async deleteIdentities(identities: Identity[]): Promise<void> {
    for (const identity of identities) this.remove(identity);
    await this.persist();
  }

  private replace(identity: Identity, change: Partial<Pick<Identity, 'developerUserIdentifiers' | 'authenticated'>>): void {
    this.remove(identity);
    this.index({ ...identity, ...change, lastModifiedDate: this.clock().toISOString() });
  }

  private index(identity: Identity): void {
    this.identities.set(identity.identityId, identity);
    for (const user of identity.developerUserIdentifiers) {
      this.identityByDeveloperUser.set(developerUserKey(identity.identityPoolId, user), identity.identityId);
    }
  }

  private remove(identity: Identity): void {
    this.identities.delete(identity.identityId);
    for (const user of identity.developerUserIdentifiers) this.identityByDeveloperUser.delete(developerUserKey(identity.identityPoolId, user));
  }

  private persist(): Promise<void> {
    const snapshot: StoredState = { pools: [...this.pools.values()], identities: [...this.identities.values()] };
    const write = this.pendingWrite.catch(() => undefined).then(() => writeFileAtomic(this.path, JSON.stringify(snapshot)));
    this.pendingWrite = write;
    return write;
  }
}

function developerUserKey(identityPoolId: string, developerUserIdentifier: string): string {
  return `${identityPoolId}\n${developerUserIdentifier}`;
}
