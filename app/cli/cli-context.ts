import { join } from 'node:path';
import type { Command } from 'commander';
import { StorageError, type AccessPermission, type IdentityCredentialsSnapshot, type ScopedStorageClient, type StorageLocation } from '../library/index.ts';
import { createNodeStorageClient } from '../library/node/create-node-storage-client.ts';
import { FileResumeStore } from '../library/node/file-resume-store.ts';
import { credentialsBelongTo, readCliSession, savedCredentials, withCredentials, writeCliSession, type CliSession } from './cli-session.ts';
import { folderKey, parseRemotePath, requireFileKey, type RemotePath } from './location-path.ts';
import { describeDenial, resolvePath, type ResolvedPath } from './location-resolution.ts';
import { userPath } from './user-directory.ts';

interface GlobalOptions {
  outputs?: string;
  json?: boolean;
  home: string;
}

export const DEFAULT_OUTPUTS = '.local/outputs.json';

/** What a path argument must be: one file, a folder (its key ends with `/`, or "" for the top), or either as typed. */
export type PathShape = 'file' | 'folder' | 'any';

/** What every command needs: the global options, the session, one client and the identity's locations. */
export class CliContext {
  /**
   * Set once a command works with a session signed in earlier: when the token service refuses it
   * (its signing secret changed with a reset of the local cloud, or it expired), the way out is to
   * sign in again, whatever the service's reason.
   */
  usingStoredSession = false;
  private client: ScopedStorageClient | undefined;
  private locationList: Promise<StorageLocation[]> | undefined;
  /** Credentials issued during this command, and the session token they were issued for (none for a guest). */
  private issued: { sessionToken: string | undefined; snapshot: IdentityCredentialsSnapshot } | undefined;

  constructor(private readonly program: Command) {}

  private get globals(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  get json(): boolean {
    return this.globals.json === true;
  }

  /**
   * Paths the user gives are theirs (see userPath); the default outputs file is the repository's,
   * where `npm run storage` runs and `npm start` writes it.
   */
  outputsPath(): string {
    const given = this.globals.outputs ?? process.env.SCOPED_STORAGE_OUTPUTS;
    return given === undefined ? DEFAULT_OUTPUTS : userPath(given);
  }

  homeDirectory(): string {
    return userPath(this.globals.home);
  }

  print(humanText: string, json: unknown): void {
    process.stdout.write(this.json ? `${JSON.stringify(json)}\n` : `${humanText}\n`);
  }

  /** A client for the session given (a new guest: no identity yet), or the stored one. */
  async openClient(session?: CliSession | { kind: 'new-guest' }): Promise<ScopedStorageClient> {
    if (this.client && !session) return this.client;
    const home = this.homeDirectory();
    const used = session ?? (await readCliSession(home));
    if (!used) throw new StorageError('SignInRequired', 'Not signed in. Run "scoped-storage login --user <name>" (local), "scoped-storage login --token <session token>" or "scoped-storage login --guest".');
    this.usingStoredSession = session === undefined;
    const resumeStore = new FileResumeStore(join(home, 'uploads.json'));
    const sessionToken = used.kind === 'user' ? used.sessionToken : undefined;
    // Every command reuses the session's saved credentials until they are due: each exchange costs a
    // Cognito call, and the local cloud keeps only the newest 20 sets per identity (older share links die).
    const credentials = {
      initialCredentials: used.kind === 'new-guest' ? undefined : savedCredentials(used),
      onCredentials: (snapshot: IdentityCredentialsSnapshot) => {
        this.issued = { sessionToken, snapshot };
      },
    };
    // A client without getSessionToken is a guest; with guestIdentityId it resumes that guest identity.
    this.client =
      used.kind === 'user'
        ? await createNodeStorageClient(this.outputsPath(), { getSessionToken: () => used.sessionToken, resumeStore, ...credentials })
        : await createNodeStorageClient(this.outputsPath(), { guestIdentityId: used.kind === 'guest' ? used.guestIdentityId : undefined, resumeStore, ...credentials });
    this.locationList = undefined;
    return this.client;
  }

  /**
   * At the end of a command: saves credentials issued during it into the session file, when that
   * still holds the session they were issued for (a login meanwhile wrote another one, without any).
   * After S3 refused the saved ones (`Expired`: expired, or unknown to a reset local cloud) they are
   * dropped, so the next command exchanges new ones.
   */
  async saveCredentials(failure?: unknown): Promise<void> {
    const home = this.homeDirectory();
    const session = await readCliSession(home).catch(() => undefined);
    if (!session) return;
    if (failure instanceof StorageError && failure.code === 'Expired' && !this.issued) {
      if (!session.credentials) return;
      const { credentials: _dropped, ...withoutCredentials } = session;
      await writeCliSession(home, withoutCredentials);
      return;
    }
    if (!this.issued || !credentialsBelongTo(session, this.issued.sessionToken, this.issued.snapshot)) return;
    await writeCliSession(home, withCredentials(session, this.issued.snapshot));
  }

  async locations(): Promise<StorageLocation[]> {
    const client = await this.openClient();
    this.locationList ??= client.locations();
    return this.locationList;
  }

  /** A typed storage path matched to a location, with the key checked for the shape the command needs. */
  async resolve(typed: string, shape: PathShape, parsed: RemotePath = parseRemotePath(typed)): Promise<ResolvedPath> {
    const key = shape === 'file' ? requireFileKey(parsed, typed) : shape === 'folder' ? folderKey(parsed) : parsed.key;
    return resolvePath({ ...parsed, key }, await this.locations(), typed);
  }

  /**
   * Runs a request on a path; when S3 (or the library, from the published rules) refuses it, the
   * error says which permission it needed and what the location allows this identity.
   */
  async explainingDenial<T>(path: ResolvedPath, needed: AccessPermission, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof StorageError && (error.code === 'AccessDenied' || error.code === 'InvalidLocation')) {
        throw new StorageError('AccessDenied', describeDenial(path, needed), { cause: error, status: error.status });
      }
      throw error;
    }
  }
}
