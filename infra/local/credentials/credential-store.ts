import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../persistence/atomic-file.ts';
import type { CredentialLookup, IssuedCredentials } from './issued-credentials.ts';

export interface CredentialStoreOptions {
  dataDirectory: string;
  /** @default () => new Date() */
  clock?: () => Date;
  /** How long expired credentials stay findable, so callers get ExpiredToken rather than an unknown key. @default 86400 */
  expiredRetentionSeconds?: number;
}

export interface SessionRequest {
  /** e.g. `arn:aws:iam::000000000000:role/AuthRole`. */
  roleArn: string;
  /** The role's unique id (`AROA...`), the first half of `aws:userid`. */
  roleId: string;
  sessionName: string;
  lifetimeSeconds: number;
  sessionContext: Record<string, string | string[]>;
}

export interface StaticCredentialsRequest extends SessionRequest {
  /** Names the holder (e.g. `token-service`); the same name gets the same credentials back while they stay fresh. */
  name: string;
}

interface StoredCredentials {
  credentials: IssuedCredentials[];
  /** Static credential name -> access key id. */
  staticNames: Record<string, string>;
}

const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The credentials the local STS has issued, kept in memory for synchronous lookup by access key id
 * and written atomically to `<dataDirectory>/credentials/issued.json`, so they survive a restart.
 * Expired credentials are dropped lazily (on the next write) once their retention has passed.
 */
export class CredentialStore implements CredentialLookup {
  private readonly byAccessKeyId = new Map<string, IssuedCredentials>();
  private readonly staticNames = new Map<string, string>();
  private pendingWrite: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly clock: () => Date,
    private readonly expiredRetentionMs: number,
  ) {}

  static async open(options: CredentialStoreOptions): Promise<CredentialStore> {
    const store = new CredentialStore(
      join(options.dataDirectory, 'credentials', 'issued.json'),
      options.clock ?? (() => new Date()),
      (options.expiredRetentionSeconds ?? 86_400) * 1000,
    );
    const stored = await readJsonFile<StoredCredentials>(store.path);
    for (const credentials of stored?.credentials ?? []) store.byAccessKeyId.set(credentials.accessKeyId, credentials);
    for (const [name, accessKeyId] of Object.entries(stored?.staticNames ?? {})) store.staticNames.set(name, accessKeyId);
    return store;
  }

  findByAccessKeyId(accessKeyId: string): IssuedCredentials | undefined {
    const credentials = this.byAccessKeyId.get(accessKeyId);
    return credentials && !this.isPastRetention(credentials) ? credentials : undefined;
  }

  /** Issues temporary session credentials for a role, as STS AssumeRole* would. */
  async issue(request: SessionRequest): Promise<IssuedCredentials> {
    const credentials = this.create(request);
    this.byAccessKeyId.set(credentials.accessKeyId, credentials);
    await this.persist();
    return credentials;
  }

  /**
   * Long-lived credentials for a local service (the token service's role). Asking again with the
   * same name returns the stored credentials until less than half their lifetime is left, so a
   * service started against an earlier run keeps working across restarts.
   */
  async issueStatic(request: StaticCredentialsRequest): Promise<IssuedCredentials> {
    const existingKey = this.staticNames.get(request.name);
    const existing = existingKey === undefined ? undefined : this.byAccessKeyId.get(existingKey);
    if (existing && existing.roleArn === request.roleArn && this.remainingMs(existing) > (request.lifetimeSeconds * 1000) / 2) return existing;
    const credentials = this.create(request);
    this.byAccessKeyId.set(credentials.accessKeyId, credentials);
    this.staticNames.set(request.name, credentials.accessKeyId);
    await this.persist();
    return credentials;
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

  private remainingMs(credentials: IssuedCredentials): number {
    return Date.parse(credentials.expiration) - this.clock().getTime();
  }

  private isPastRetention(credentials: IssuedCredentials): boolean {
    return this.remainingMs(credentials) < -this.expiredRetentionMs;
  }

  private persist(): Promise<void> {
    for (const [accessKeyId, credentials] of this.byAccessKeyId) {
      if (this.isPastRetention(credentials)) this.byAccessKeyId.delete(accessKeyId);
    }
    for (const [name, accessKeyId] of this.staticNames) {
      if (!this.byAccessKeyId.has(accessKeyId)) this.staticNames.delete(name);
    }
    const snapshot: StoredCredentials = { credentials: [...this.byAccessKeyId.values()], staticNames: Object.fromEntries(this.staticNames) };
    const write = this.pendingWrite.catch(() => undefined).then(() => writeFileAtomic(this.path, JSON.stringify(snapshot)));
    this.pendingWrite = write;
    return write;
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
