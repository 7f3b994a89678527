import { randomBytes, randomInt } from 'node:crypto';
import { openStoreConnection, runInTransaction, type LocalDatabase, type StoreConnection } from '../persistence/local-database.ts';
import { applyCredentialCap } from './credential-cap.ts';
import { CredentialTable, createCredentialTables, type CredentialRecord } from './credential-table.ts';
import { importCredentialFiles } from './import-credential-files.ts';
import type { CredentialLookup, IssuedCredentials } from './issued-credentials.ts';

interface CredentialStoreOptions {
  dataDirectory: string;
  /** @default () => new Date() */
  clock?: () => Date;
  /** How long expired credentials stay findable, so callers get ExpiredToken rather than an unknown key. @default 86400 */
  expiredRetentionSeconds?: number;
  /**
   * Credential sets one identity holds at once: issuing one more evicts its oldest, which from
   * then on answers like an access key that never existed. Bounds what one signed-in user can make
   * the store keep. @default 20
   */
  maxCredentialsPerIdentity?: number;
  /** The local cloud's shared connection; without it the store opens (and closes) its own. */
  database?: LocalDatabase;
}

interface SessionRequest {
  /** e.g. `arn:aws:iam::000000000000:role/AuthRole`. */
  roleArn: string;
  /** The role's unique id (`AROA...`), the first half of `aws:userid`. */
  roleId: string;
  sessionName: string;
  lifetimeSeconds: number;
  sessionContext: Record<string, string | string[]>;
  /** The Cognito identity the credentials are for; counts against its `maxCredentialsPerIdentity`. */
  identityId?: string;
}

interface StaticCredentialsRequest extends SessionRequest {
  /** Names the holder (e.g. `token-service`); the same name gets the same credentials back while they stay fresh. */
  name: string;
}

/** Credentials past their retention are deleted at most this often (on an issue), and at start-up. */
const SWEEP_INTERVAL_MS = 60_000;
const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The credentials the local STS has issued, in the local cloud's database (`credentials_` tables),
 * committed before they are handed out, so they survive a restart. A lookup by access key id is one
 * prepared, indexed query, synchronous as SigV4 verification needs it. What the store holds is
 * bounded: an issue evicts its identity's oldest sets beyond `maxCredentialsPerIdentity` in the same
 * transaction, and sets past their retention are deleted (at start-up and on an issue at most once
 * a minute); until then a lookup already answers them as unknown.
 */
export class CredentialStore implements CredentialLookup {
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  private readonly database: LocalDatabase;

  private constructor(
    private readonly connection: StoreConnection,
    private readonly table: CredentialTable,
    private readonly clock: () => Date,
    private readonly expiredRetentionMs: number,
    private readonly maxPerIdentity: number,
  ) {
    this.database = connection.database;
  }

  /** Creates the tables, imports the files of earlier versions once, and sweeps; reads nothing per credential set. */
  static async open(options: CredentialStoreOptions): Promise<CredentialStore> {
    const maxPerIdentity = options.maxCredentialsPerIdentity ?? 20;
    if (!Number.isInteger(maxPerIdentity) || maxPerIdentity < 1) {
      throw new RangeError(`maxCredentialsPerIdentity must be a whole number of at least 1, not ${maxPerIdentity}.`);
    }
    return openStoreConnection(options, async (connection) => {
      const { database } = connection;
      createCredentialTables(database);
      const table = new CredentialTable(database);
      await importCredentialFiles(database, table, options.dataDirectory, maxPerIdentity);
      applyCredentialCap(database, maxPerIdentity);
      const store = new CredentialStore(
        connection,
        table,
        options.clock ?? (() => new Date()),
        (options.expiredRetentionSeconds ?? 86_400) * 1000,
        maxPerIdentity,
      );
      runInTransaction(database, () => store.sweep());
      return store;
    });
  }

  /** Closes the connection the store opened itself; a shared one stays open for its owner to close. */
  close(): void {
    this.connection.close();
  }

  findByAccessKeyId(accessKeyId: string): IssuedCredentials | undefined {
    const stored = this.table.find(accessKeyId);
    return stored && !this.isPastRetention(stored.expirationMs) ? stored.credentials : undefined;
  }

  /** Issues temporary session credentials for a role, as STS AssumeRole* would. */
  async issue(request: SessionRequest): Promise<IssuedCredentials> {
    const credentials = this.create(request);
    this.store({ credentials, ...(request.identityId === undefined ? {} : { identityId: request.identityId }) });
    return credentials;
  }

  /**
   * Long-lived credentials for a local service (the token service's role). Asking again with the
   * same name returns the stored credentials until less than half their lifetime is left, so a
   * service started against an earlier run keeps working across restarts.
   */
  async issueStatic(request: StaticCredentialsRequest): Promise<IssuedCredentials> {
    const existing = this.table.findStatic(request.name);
    if (existing && existing.credentials.roleArn === request.roleArn && this.remainingMs(existing.expirationMs) > (request.lifetimeSeconds * 1000) / 2) {
      return existing.credentials;
    }
    const credentials = this.create(request);
    this.store({ credentials, staticName: request.name });
    return credentials;
  }

  /** One transaction: the new set, the evictions it causes, and a sweep when the last is a minute old. */
  private store(record: CredentialRecord): void {
    runInTransaction(this.database, () => {
      if (this.clock().getTime() - this.lastSweepMs >= SWEEP_INTERVAL_MS) this.sweep();
      this.table.add(record, this.maxPerIdentity);
    });
  }

  private sweep(): void {
    this.lastSweepMs = this.clock().getTime();
    this.table.sweep(this.lastSweepMs - this.expiredRetentionMs);
  }

  private create({ roleArn, roleId, sessionName, lifetimeSeconds, sessionContext }: SessionRequest): IssuedCredentials {
    return {
      accessKeyId: `ASIA${randomAlphanumeric(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(160).toString('base64'),
      expiration: new Date(this.clock().getTime() + lifetimeSeconds * 1000).toISOString(),
      roleArn,
      sessionArn: assumedRoleArn(roleArn, sessionName),
      userId: `${roleId}:${sessionName}`,
      sessionContext,
    };
  }

  private remainingMs(expirationMs: number): number {
    return expirationMs - this.clock().getTime();
  }

  private isPastRetention(expirationMs: number): boolean {
    return this.remainingMs(expirationMs) < -this.expiredRetentionMs;
  }
}

/** `arn:aws:iam::<account>:role/<path/>Name` -> `arn:aws:sts::<account>:assumed-role/Name/<session>`. */
function assumedRoleArn(roleArn: string, sessionName: string): string {
  const [, partition, , , accountId, resource = ''] = roleArn.split(':');
  const roleName = resource.split('/').at(-1);
  return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

function randomAlphanumeric(length: number): string {
  return Array.from({ length }, () => ACCESS_KEY_ALPHABET[randomInt(ACCESS_KEY_ALPHABET.length)]).join('');
}
