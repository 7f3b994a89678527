import { randomBytes, randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../persistence/atomic-file.ts';
import { JsonLinesLog } from '../persistence/json-lines-log.ts';
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

/** One line of the log: credentials as issued. */
interface IssueRecord {
  credentials: IssuedCredentials;
  identityId?: string;
  /** The name static credentials were issued under. */
  staticName?: string;
  /** Access key ids this issue evicted, so that replaying the log never brings them back. */
  evicted?: string[];
}

/** The whole-state file earlier versions rewrote on every issue; read once, then removed. */
interface LegacyState {
  credentials: IssuedCredentials[];
  staticNames: Record<string, string>;
}

const LOG_FILE = 'issued.jsonl';
const LEGACY_FILE = 'issued.json';
/** The log is compacted once it has more than twice as many lines as live entries, and at least this many. */
const MIN_LINES_BEFORE_COMPACTION = 64;
/** Expired credentials are swept from memory (and the log compacted) at most this often. */
const PRUNE_INTERVAL_MS = 60_000;
const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The credentials the local STS has issued, kept in memory for synchronous lookup by access key id
 * and in an append-only log, `<dataDirectory>/credentials/issued.jsonl` (one line per issue, on
 * disk before the credentials are handed out), so they survive a restart. What the store holds is
 * bounded: at most `maxCredentialsPerIdentity` sets per identity, and credentials leave once past
 * their retention (swept on a write at most once a minute, and at start-up). The log is rewritten
 * atomically with only the live entries at start-up, after a sweep that dropped entries, and when it
 * has grown past twice the live entries.
 */
export class CredentialStore implements CredentialLookup {
  /** Access key id -> record, oldest first. */
  private readonly records = new Map<string, IssueRecord>();
  /** Identity id -> its access key ids, oldest first. */
  private readonly keysByIdentity = new Map<string, string[]>();
  /** Static credential name -> access key id. */
  private readonly staticNames = new Map<string, string>();
  private lastPruneMs = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly log: JsonLinesLog<IssueRecord>,
    private readonly clock: () => Date,
    private readonly expiredRetentionMs: number,
    private readonly maxPerIdentity: number,
  ) {}

  static async open(options: CredentialStoreOptions): Promise<CredentialStore> {
    const maxPerIdentity = options.maxCredentialsPerIdentity ?? 20;
    if (!Number.isInteger(maxPerIdentity) || maxPerIdentity < 1) {
      throw new RangeError(`maxCredentialsPerIdentity must be a whole number of at least 1, not ${maxPerIdentity}.`);
    }
    const directory = join(options.dataDirectory, 'credentials');
    const { log, entries } = await JsonLinesLog.open(join(directory, LOG_FILE), parseIssueRecord);
    const store = new CredentialStore(
      log,
      options.clock ?? (() => new Date()),
      (options.expiredRetentionSeconds ?? 86_400) * 1000,
      maxPerIdentity,
    );
    const legacyPath = join(directory, LEGACY_FILE);
    const legacy = await readJsonFile<LegacyState>(legacyPath);
    const legacyNames = new Map(Object.entries(legacy?.staticNames ?? {}).map(([name, accessKeyId]) => [accessKeyId, name]));
    for (const credentials of legacy?.credentials ?? []) {
      const staticName = legacyNames.get(credentials.accessKeyId);
      store.add({ credentials, ...(staticName === undefined ? {} : { staticName }) });
    }
    for (const entry of entries) store.add(entry);
    store.prune();
    await log.rewrite(store.liveRecords());
    if (legacy) await rm(legacyPath, { force: true });
    return store;
  }

  findByAccessKeyId(accessKeyId: string): IssuedCredentials | undefined {
    const credentials = this.records.get(accessKeyId)?.credentials;
    return credentials && !this.isPastRetention(credentials) ? credentials : undefined;
  }

  /** Issues temporary session credentials for a role, as STS AssumeRole* would. */
  async issue(request: SessionRequest): Promise<IssuedCredentials> {
    const credentials = this.create(request);
    const record: IssueRecord = { credentials, ...(request.identityId === undefined ? {} : { identityId: request.identityId }) };
    await this.persist(record, this.add(record));
    return credentials;
  }

  /**
   * Long-lived credentials for a local service (the token service's role). Asking again with the
   * same name returns the stored credentials until less than half their lifetime is left, so a
   * service started against an earlier run keeps working across restarts.
   */
  async issueStatic(request: StaticCredentialsRequest): Promise<IssuedCredentials> {
    const existingKey = this.staticNames.get(request.name);
    const existing = existingKey === undefined ? undefined : this.records.get(existingKey)?.credentials;
    if (existing && existing.roleArn === request.roleArn && this.remainingMs(existing) > (request.lifetimeSeconds * 1000) / 2) return existing;
    const record: IssueRecord = { credentials: this.create(request), staticName: request.name };
    await this.persist(record, this.add(record));
    return record.credentials;
  }

  /** Indexes a record; returns the access key ids of its identity that it pushed past the cap (now removed). */
  private add(record: IssueRecord): string[] {
    for (const accessKeyId of record.evicted ?? []) this.remove(accessKeyId);
    const { accessKeyId } = record.credentials;
    this.remove(accessKeyId);
    this.records.set(accessKeyId, { credentials: record.credentials, identityId: record.identityId, staticName: record.staticName });
    if (record.staticName !== undefined) this.staticNames.set(record.staticName, accessKeyId);
    if (record.identityId === undefined) return [];
    const keys = [...(this.keysByIdentity.get(record.identityId) ?? []), accessKeyId];
    this.keysByIdentity.set(record.identityId, keys);
    const evicted = keys.slice(0, Math.max(0, keys.length - this.maxPerIdentity));
    for (const key of evicted) this.remove(key);
    return evicted;
  }

  private remove(accessKeyId: string): void {
    const record = this.records.get(accessKeyId);
    if (!record) return;
    this.records.delete(accessKeyId);
    if (record.staticName !== undefined && this.staticNames.get(record.staticName) === accessKeyId) this.staticNames.delete(record.staticName);
    if (record.identityId === undefined) return;
    const remaining = (this.keysByIdentity.get(record.identityId) ?? []).filter((key) => key !== accessKeyId);
    if (remaining.length === 0) this.keysByIdentity.delete(record.identityId);
    else this.keysByIdentity.set(record.identityId, remaining);
  }

  /** Appends the record, then compacts the log when a sweep dropped entries or it has grown past twice the live entries. */
  private async persist(record: IssueRecord, evicted: string[]): Promise<void> {
    const swept = this.clock().getTime() - this.lastPruneMs >= PRUNE_INTERVAL_MS && this.prune();
    const appended = this.log.append(evicted.length === 0 ? record : { ...record, evicted });
    const grown = this.log.lineCount > Math.max(MIN_LINES_BEFORE_COMPACTION, 2 * this.records.size);
    await Promise.all([appended, swept || grown ? this.log.rewrite(this.liveRecords()) : undefined]);
  }

  /** Drops credentials past their retention; tells whether any were dropped. */
  private prune(): boolean {
    this.lastPruneMs = this.clock().getTime();
    const before = this.records.size;
    for (const [accessKeyId, record] of this.records) {
      if (this.isPastRetention(record.credentials)) this.remove(accessKeyId);
    }
    return this.records.size < before;
  }

  private liveRecords(): IssueRecord[] {
    return [...this.records.values()];
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

function parseIssueRecord(value: unknown): IssueRecord | undefined {
  const record = value as Partial<IssueRecord> | null;
  const credentials = record?.credentials;
  return typeof credentials?.accessKeyId === 'string' && typeof credentials.expiration === 'string' ? (record as IssueRecord) : undefined;
}
