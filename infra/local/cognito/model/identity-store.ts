import { randomUUID } from 'node:crypto';
import type { StatementSync } from 'node:sqlite';
import { openStoreConnection, runInTransaction, type LocalDatabase, type StoreConnection } from '../../persistence/local-database.ts';
import { ResourceConflictException, ResourceNotFoundException } from '../cognito-errors.ts';
import { importIdentitiesFile } from './import-identities-file.ts';
import type { IdentityPool } from './identity-pool.ts';
import { createIdentityTables, IDENTITY_STATEMENTS } from './identity-tables.ts';

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

interface IdentityStoreOptions {
  dataDirectory: string;
  identityPools: IdentityPool[];
  clock: () => Date;
  /** The local cloud's shared connection; without it the store opens (and closes) its own. */
  database?: LocalDatabase;
}

interface IdentityRow {
  identity_id: string;
  identity_pool_id: string;
  authenticated: number;
  creation_date: string;
  last_modified_date: string;
}

/** AWS limits how many logins one identity may collect through merges. */
const MAX_LINKED_LOGINS = 20;

/**
 * Identity pools and identities in the local cloud's database (`cognito_` tables). Every change is
 * one transaction and re-reads what it depends on inside it, so a caller holding an older copy of
 * an identity cannot undo a change made since. Pools are few and fixed by the template, so they
 * are kept in memory; identities and logins are read per request through prepared statements.
 */
export class IdentityStore {
  private readonly pools = new Map<string, IdentityPool>();
  private readonly statements: Record<keyof typeof IDENTITY_STATEMENTS, StatementSync>;

  private readonly database: LocalDatabase;

  private constructor(
    private readonly connection: StoreConnection,
    private readonly clock: () => Date,
  ) {
    const { database } = connection;
    this.database = database;
    this.statements = Object.fromEntries(Object.entries(IDENTITY_STATEMENTS).map(([name, sql]) => [name, database.prepare(sql)])) as Record<
      keyof typeof IDENTITY_STATEMENTS,
      StatementSync
    >;
  }

  /**
   * Creates the tables, imports the JSON file of earlier versions once, and upserts the pools given
   * here (they replace stored pools of the same id; other stored pools stay served). Reads nothing
   * per identity.
   */
  static async open(options: IdentityStoreOptions): Promise<IdentityStore> {
    return openStoreConnection(options, async (connection) => {
      const { database } = connection;
      createIdentityTables(database);
      await importIdentitiesFile(database, options.dataDirectory);
      const upsertPool = database.prepare(
        'INSERT INTO cognito_pools (identity_pool_id, pool_json) VALUES (?, ?) ON CONFLICT (identity_pool_id) DO UPDATE SET pool_json = excluded.pool_json',
      );
      runInTransaction(database, () => {
        for (const pool of options.identityPools) upsertPool.run(pool.identityPoolId, JSON.stringify(pool));
      });
      const store = new IdentityStore(connection, options.clock);
      for (const row of database.prepare('SELECT pool_json FROM cognito_pools').all() as { pool_json: string }[]) {
        const pool = JSON.parse(row.pool_json) as IdentityPool;
        store.pools.set(pool.identityPoolId, pool);
      }
      return store;
    });
  }

  /** Closes the connection the store opened itself; a shared one stays open for its owner to close. */
  close(): void {
    this.connection.close();
  }

  pool(identityPoolId: string): IdentityPool {
    const pool = this.pools.get(identityPoolId);
    if (!pool) throw new ResourceNotFoundException(`IdentityPool '${identityPoolId}' not found.`);
    return pool;
  }

  findIdentity(identityId: string): Identity | undefined {
    const row = this.statements.identity.get(identityId) as IdentityRow | undefined;
    if (!row) return undefined;
    const users = this.statements.usersOfIdentity.all(identityId) as { developer_user_identifier: string }[];
    return {
      identityId: row.identity_id,
      identityPoolId: row.identity_pool_id,
      developerUserIdentifiers: users.map((user) => user.developer_user_identifier),
      authenticated: row.authenticated === 1,
      creationDate: row.creation_date,
      lastModifiedDate: row.last_modified_date,
    };
  }

  identity(identityId: string): Identity {
    const identity = this.findIdentity(identityId);
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
    const row = this.statements.identityOfUser.get(identityPoolId, developerUserIdentifier) as { identity_id: string } | undefined;
    return row === undefined ? undefined : this.findIdentity(row.identity_id);
  }

  async createIdentity(identityPoolId: string, developerUserIdentifier?: string): Promise<Identity> {
    const now = this.clock().toISOString();
    const region = identityPoolId.split(':')[0];
    const identityId = `${region}:${randomUUID()}`;
    runInTransaction(this.database, () => {
      if (developerUserIdentifier !== undefined) this.requireUnlinked(identityPoolId, developerUserIdentifier);
      this.statements.insertIdentity.run(identityId, identityPoolId, developerUserIdentifier === undefined ? 0 : 1, now, now);
      if (developerUserIdentifier !== undefined) this.statements.insertLogin.run(identityPoolId, developerUserIdentifier, identityId);
    });
    return this.identity(identityId);
  }

  /**
   * Links a developer user to an existing identity. An identity holds one developer user unless
   * users were merged on purpose, so linking a second one is a conflict: otherwise anyone who
   * learns an identity id could attach their own login to it.
   */
  async linkDeveloperUser(identity: Identity, developerUserIdentifier: string): Promise<Identity> {
    runInTransaction(this.database, () => {
      const current = this.identity(identity.identityId);
      const owner = this.statements.identityOfUser.get(current.identityPoolId, developerUserIdentifier) as { identity_id: string } | undefined;
      if (owner?.identity_id === current.identityId) return;
      if (owner) throw new ResourceConflictException(`Developer user '${developerUserIdentifier}' is already linked to a different identity.`);
      if (current.developerUserIdentifiers.length > 0) {
        throw new ResourceConflictException(
          `Identity '${current.identityId}' is already linked to a different developer user; use MergeDeveloperIdentities to combine users.`,
        );
      }
      this.statements.insertLogin.run(current.identityPoolId, developerUserIdentifier, current.identityId);
      this.statements.updateIdentity.run(1, this.clock().toISOString(), current.identityId);
    });
    return this.identity(identity.identityId);
  }

  /** Moves every developer user of the source user's identity onto the destination user's identity and removes the source identity. */
  async mergeDeveloperUsers(identityPoolId: string, sourceUser: string, destinationUser: string): Promise<Identity> {
    const destinationId = runInTransaction(this.database, () => {
      const source = this.identityOfDeveloperUser(identityPoolId, sourceUser);
      const destination = this.identityOfDeveloperUser(identityPoolId, destinationUser);
      if (!source) throw new ResourceNotFoundException(`Developer user '${sourceUser}' is not linked to any identity of pool '${identityPoolId}'.`);
      if (!destination) throw new ResourceNotFoundException(`Developer user '${destinationUser}' is not linked to any identity of pool '${identityPoolId}'.`);
      if (source.identityId === destination.identityId) return destination.identityId;
      const merged = destination.developerUserIdentifiers.length + source.developerUserIdentifiers.length;
      if (merged > MAX_LINKED_LOGINS) {
        throw new ResourceConflictException(`The merged identity would have ${merged} linked logins; at most ${MAX_LINKED_LOGINS} are allowed.`);
      }
      this.remove(source.identityId);
      // Inserted anew, so they list after the destination's own users, in their earlier order.
      for (const user of source.developerUserIdentifiers) this.statements.insertLogin.run(identityPoolId, user, destination.identityId);
      this.statements.updateIdentity.run(destination.authenticated ? 1 : 0, this.clock().toISOString(), destination.identityId);
      return destination.identityId;
    });
    return this.identity(destinationId);
  }

  async unlinkDeveloperUser(identity: Identity, developerUserIdentifier: string): Promise<void> {
    runInTransaction(this.database, () => {
      const current = this.identity(identity.identityId);
      if (!current.developerUserIdentifiers.includes(developerUserIdentifier)) {
        throw new ResourceNotFoundException(`Developer user '${developerUserIdentifier}' is not linked to identity '${current.identityId}'.`);
      }
      this.statements.deleteLogin.run(current.identityPoolId, developerUserIdentifier);
      this.statements.updateIdentity.run(current.authenticated ? 1 : 0, this.clock().toISOString(), current.identityId);
    });
  }

  async deleteIdentities(identities: Identity[]): Promise<void> {
    runInTransaction(this.database, () => {
      for (const identity of identities) this.remove(identity.identityId);
    });
  }

  private requireUnlinked(identityPoolId: string, developerUserIdentifier: string): void {
    if (this.statements.identityOfUser.get(identityPoolId, developerUserIdentifier) !== undefined) {
      throw new ResourceConflictException(`Developer user '${developerUserIdentifier}' is already linked to a different identity.`);
    }
  }

  private remove(identityId: string): void {
    this.statements.deleteLoginsOfIdentity.run(identityId);
    this.statements.deleteIdentity.run(identityId);
  }
}
