import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type HeadObjectCommandOutput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition, fileNameOf } from './content-disposition.ts';
import { deliveryNotConfigured, publicCdnUrl, requestCdnCookies, requestCdnLink, type CdnCookies, type CdnLink, type CdnLinkContext, type CdnLinkOptions } from './cdn-links.ts';
import { countDownloadedBytes, type DownloadProgress } from './download-progress.ts';
import { IdentityCredentialsProvider, type IdentityCredentialsSnapshot, type SignInResult } from './identity-credentials.ts';
import { deferUploadTask } from './deferred-upload-task.ts';
import { checkUploadEncryption, sendEncryptionHeader, type UploadEncryption, type UploadEncryptionSetting } from './encryption-header.ts';
import { decodeListingToken, encodeListingToken, NOT_A_LISTING_TOKEN } from './listing-token.ts';
import { requirePermission } from './location-permissions.ts';
import { toLocationKey, toLocationListingPrefix, toRelativeKey } from './object-keys.ts';
import { resolveLocations } from './resolve-locations.ts';
import type { ResumeStore } from './resume-store.ts';
import { copyInsideS3, MAX_SINGLE_COPY_BYTES } from './server-side-copy.ts';
import { StorageError, toStorageError } from './storage-errors.ts';
import type { LocationReference, StorageLocation } from './storage-location.ts';
import { publishedRulesOf, type StorageOutputs } from './storage-outputs.ts';
import { lookupIdentity, requestIdentityToken, type SessionTokenSource } from './token-service-client.ts';
import { checkUploadLinkOptions, freshUploadKey, signUploadLink, UPLOAD_LINK_SIGNING_CONFIG, type UploadLink, type UploadLinkOptions } from './upload-links.ts';
import { startUploadTask, type UploadTask, type UploadTaskProgress } from './upload-task.ts';
import { blobSource, bytesSource, isRandomAccessSource, type RandomAccessSource } from './upload-source.ts';

/** What lies below a folder: files, their bytes, and the folder markers (`folder/` objects) among them. */
export interface FolderSummary {
  files: number;
  bytes: number;
  folderMarkers: number;
}

export interface ScopedStorageClientOptions {
  outputs: StorageOutputs;
  /** Returns the app session token the token service accepts. Without it the client is a guest (the deployment must allow guests). */
  getSessionToken?: SessionTokenSource;
  /** A guest identity saved from an earlier session (`whoami().identityId`), to continue it with its files. */
  guestIdentityId?: string;
  /** Endpoint overrides (the local cloud's); default: the outputs' endpoints, else AWS. */
  endpoints?: { s3?: string; cognitoIdentity?: string };
  /** HTTP handler for the AWS clients, e.g. one that trusts the local cloud's CA in Node. */
  requestHandler?: S3ClientConfig['requestHandler'];
  fetch?: typeof fetch;
  /** Preferred size of each part of a multipart upload; grown for big files so no upload needs more than 10,000 parts. @default 8 MiB */
  partSize?: number;
  /** Parts in flight at once (uploads and multipart copies). @default 4 */
  concurrency?: number;
  /** Uploads bigger than this go multipart. @default 16 MiB */
  multipartThreshold?: number;
  /** Copies bigger than this use UploadPartCopy (S3 copies at most 5 GiB in one request). @default 5 GiB */
  multipartCopyThreshold?: number;
  /** Preferred part size of a multipart copy; grown so no copy needs more than 10,000 parts. @default 512 MiB */
  copyPartSize?: number;
  /** Refresh credentials this long before they expire. @default 300 */
  refreshMarginSeconds?: number;
  /**
   * Credentials saved by an earlier run (from `onCredentials`), reused until they are due for refresh
   * instead of exchanging new ones; ignored when they are not this client's identity's.
   * @default none: the first request exchanges credentials
   */
  initialCredentials?: IdentityCredentialsSnapshot;
  /** Called with every new set of credentials, to save them (somewhere only this user can read) for `initialCredentials`. @default none */
  onCredentials?: (snapshot: IdentityCredentialsSnapshot) => void;
  /** Where resumable uploads remember their upload ids. @default none: uploads cannot be resumed after a crash */
  resumeStore?: ResumeStore;
  /**
   * The bucket's encryption, as uploads and upload links name it (`x-amz-server-side-encryption`):
   * `aws:kms` when the deployment encrypts with a KMS key (the stack's `encryptionKey`), whose
   * bucket policy refuses `AES256`.
   * @default 'aws:kms' with the outputs' `encryptionKeyArn` when the deployment has one, else 'AES256'
   */
  encryption?: UploadEncryption;
  /**
   * With `encryption: 'aws:kms'`, the ARN of the bucket's KMS key, named with every upload: S3
   * encrypts a request that names `aws:kms` without a key with the account's `aws/s3` key instead.
   * @default the outputs' `encryptionKeyArn`
   */
  encryptionKeyArn?: string;
}

export type UploadBody = Uint8Array | Blob | RandomAccessSource | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | string;

export interface UploadOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Refuse to replace an existing object (`If-None-Match: *`): code 'AlreadyExists'. */
  ifNoneMatch?: boolean;
  /** Aborting it cancels the upload. */
  signal?: AbortSignal;
  onProgress?: (progress: UploadTaskProgress) => void;
}

export interface UploadResult {
  /** Relative to the location. */
  key: string;
  etag: string;
  size?: number;
  resumed: boolean;
}

export interface StoredObject {
  /** Relative to the location. */
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface FolderListing {
  /** Sub-folders, relative to the location and ending with `/` (`photos/2024/`). */
  folders: string[];
  files: StoredObject[];
  /** Present when there is more: pass it back with the same location and prefix. */
  nextToken?: string;
}

export interface ListFolderOptions {
  location?: LocationReference;
  /** The folder, relative to the location ('' or absent: its top). A missing trailing `/` is added. */
  prefix?: string;
  /** Entries per page (folders and files together), 1 to 1000. @default 1000 */
  pageSize?: number;
  nextToken?: string;
  /** Every file below, no folders. @default false */
  recursive?: boolean;
  signal?: AbortSignal;
}

export interface DownloadOptions {
  /** As in HTTP: `bytes=0-99`. */
  range?: string;
  signal?: AbortSignal;
  /** Bytes as the body is read. */
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadResult {
  body: ReadableStream<Uint8Array>;
  contentLength: number;
  contentType?: string;
  etag?: string;
  lastModified?: Date;
  contentRange?: string;
}

export interface ShareOptions {
  /** @default 3600, at most 7 days and never beyond the signing credentials */
  expiresInSeconds?: number;
  /** How a browser opens the link: `attachment` downloads it. @default as stored (usually inline) */
  disposition?: 'inline' | 'attachment';
  /** The name a download gets. @default the key's last segment, when `disposition` is given */
  fileName?: string;
}

export interface ShareLink {
  url: string;
  expiresAt: Date;
  /** True when the link lives shorter than asked because the signing credentials expire first. */
  cappedByCredentials: boolean;
}

export interface ObjectProperties {
  key: string;
  size: number;
  contentType?: string;
  lastModified: Date;
  etag: string;
  /** The checksum S3 stores, as `<algorithm>:<base64>` (`CRC32:q2Hr4Q==`), when the object has one. */
  checksum?: string;
  /** Whether `checksum` covers the whole object or is a checksum of the parts' checksums (`-<parts>` at its end). */
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  metadata: Record<string, string>;
}

/** One side of a copy or move: a key relative to a location (default: the own location). */
export interface ObjectReference {
  location?: LocationReference;
  key: string;
}

export interface CopyOptions {
  /** Refuse to replace an object at the target: code 'AlreadyExists'. */
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
}

export interface CopyResult {
  key: string;
  location: string;
  etag: string;
  size: number;
  /** 1 for CopyObject, the part count for a multipart copy. */
  parts: number;
}

export interface MoveResult extends CopyResult {
  /** False when the copy was made but the source could not be deleted (`deleteFailure` says why). */
  sourceDeleted: boolean;
  deleteFailure?: { code: string; message: string };
}

export interface DeleteFailure {
  key: string;
  code: string;
  message: string;
}

export interface DeleteFolderProgress {
  deleted: number;
  failed: number;
}

export interface Identity {
  identityId: string;
  isGuest: boolean;
  principalTags: Record<string, string>;
  /** The own location's prefix ('' when the rules give this identity none). */
  prefix: string;
  credentialsExpireAt: Date;
}

export type { SignInResult, IdentityCredentialsSnapshot };

const MIB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MIB;
const MAX_SHARE_SECONDS = 7 * 24 * 3600;
const DELETE_BATCH = 1000;
const CHECKSUM_FIELDS = [
  ['ChecksumCRC32', 'CRC32'],
  ['ChecksumCRC32C', 'CRC32C'],
  ['ChecksumCRC64NVME', 'CRC64NVME'],
  ['ChecksumSHA1', 'SHA1'],
  ['ChecksumSHA256', 'SHA256'],
] as const;

/**
 * Reads and writes S3 directly with short-lived credentials of the caller's Cognito identity, in
 * the locations the deployment's access rules give that identity (docs/locations.md). Keys are
 * relative to a location; without one, to the identity's own location.
 */
export class ScopedStorageClient {
  readonly credentials: IdentityCredentialsProvider;
  readonly s3: S3Client;
  /** Signs upload links: the same credentials as `s3`, but no checksum of a body it cannot know. */
  /** Made on the first upload link: most clients never sign one. */
  private uploadLinkSigner: S3Client | undefined;
  private readonly s3Config: S3ClientConfig;
  private readonly encryption: UploadEncryptionSetting;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly multipartThreshold: number;
  private readonly multipartCopyThreshold: number;
  private readonly copyPartSize: number;
  private readonly fetchImplementation: typeof fetch;
  private getSessionToken: SessionTokenSource | undefined;

  constructor(private readonly options: ScopedStorageClientOptions) {
    const { outputs } = options;
    const endpoints = { ...outputs.endpoints, ...options.endpoints };
    this.partSize = options.partSize ?? 8 * MIB;
    if (this.partSize < MIN_PART_SIZE) throw new StorageError('InvalidConfiguration', `partSize must be at least 5 MiB (S3's minimum part size), got ${this.partSize}.`);
    this.copyPartSize = options.copyPartSize ?? 512 * MIB;
    if (this.copyPartSize < MIN_PART_SIZE) throw new StorageError('InvalidConfiguration', `copyPartSize must be at least 5 MiB (S3's minimum part size), got ${this.copyPartSize}.`);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.multipartThreshold = Math.max(this.partSize, options.multipartThreshold ?? 16 * MIB);
    this.multipartCopyThreshold = Math.min(Math.max(0, options.multipartCopyThreshold ?? MAX_SINGLE_COPY_BYTES), MAX_SINGLE_COPY_BYTES);
    this.fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.getSessionToken = options.getSessionToken;
    if (!this.getSessionToken && !outputs.guestsAllowed) {
      throw new StorageError('SignInRequired', 'This deployment does not allow guests (outputs: guestsAllowed false): pass getSessionToken.');
    }
    this.credentials = new IdentityCredentialsProvider({
      ...(this.getSessionToken ? { requestToken: this.tokenRequest(this.getSessionToken) } : {}),
      identityPoolId: outputs.identityPoolId,
      guestIdentityId: options.guestIdentityId,
      cognitoClientConfig: { region: outputs.region, endpoint: endpoints.cognitoIdentity, requestHandler: options.requestHandler as never },
      refreshMarginSeconds: options.refreshMarginSeconds,
      initialCredentials: options.initialCredentials,
      onCredentials: options.onCredentials,
    });
    // A deployment with a KMS key says so in its outputs; explicit options still win.
    this.encryption = options.encryption === undefined && outputs.encryptionKeyArn !== undefined ? checkUploadEncryption('aws:kms', outputs.encryptionKeyArn) : checkUploadEncryption(options.encryption, options.encryptionKeyArn);
    this.s3Config = {
      region: outputs.region,
      endpoint: endpoints.s3,
      forcePathStyle: endpoints.s3 !== undefined,
      credentials: this.credentials.provide,
      requestHandler: options.requestHandler,
    };
    this.s3 = new S3Client(this.s3Config);
    if (outputs.encryptionHeaderRequired) sendEncryptionHeader(this.s3, this.encryption);
  }

  // --- Identity -------------------------------------------------------------------------------

  async whoami(): Promise<Identity> {
    const credentials = await this.credentials.get();
    const own = (await this.locations()).find((location) => location.isDefault);
    return {
      identityId: credentials.identityId,
      isGuest: this.credentials.isGuest,
      principalTags: this.credentials.principalTags,
      prefix: own?.prefix ?? '',
      credentialsExpireAt: credentials.expiration,
    };
  }

  /** Signs a guest in (keeping the guest's identity and files), or switches a signed-in client to another session. */
  async signIn(getSessionToken: SessionTokenSource): Promise<SignInResult> {
    const result = await this.credentials.signIn(this.tokenRequest(getSessionToken));
    this.getSessionToken = getSessionToken;
    return result;
  }

  /** Forgets the session and credentials; the client is a new guest afterwards (where guests are allowed). */
  signOut(): void {
    this.getSessionToken = undefined;
    this.credentials.signOut();
  }

  /** The identity id of an app user, to open their folder of a protected location (`NotFound` for a user without one). */
  async lookupIdentity(userId: string): Promise<{ userId: string; identityId: string }> {
    if (!this.getSessionToken) throw new StorageError('SignInRequired', 'Looking up a user needs a signed-in session; guests cannot.');
    return lookupIdentity(this.options.outputs.tokenServiceUrl, this.getSessionToken, userId, this.fetchImplementation);
  }

  // --- Locations ------------------------------------------------------------------------------

  /** The published access rules resolved for the current identity. */
  async locations(): Promise<StorageLocation[]> {
    const credentials = await this.credentials.get();
    return resolveLocations(publishedRulesOf(this.options.outputs), { identityId: credentials.identityId, isGuest: this.credentials.isGuest, principalTags: this.credentials.principalTags });
  }

  /**
   * One location of the current identity, by name (or the `StorageLocation` a previous call gave,
   * looked up again by its name so it is never trusted as given); absent: the own location.
   */
  async location(reference?: LocationReference): Promise<StorageLocation> {
    const locations = await this.locations();
    if (reference === undefined) {
      const own = locations.find((location) => location.isDefault);
      if (!own) throw new StorageError('InvalidLocation', `You have no own location here; name one of: ${names(locations)}.`);
      return own;
    }
    const name = typeof reference === 'string' ? reference : reference.name;
    const found = locations.find((location) => location.name === name);
    if (found) return found;
    const published = publishedRulesOf(this.options.outputs).some((rule) => rule.name === name);
    throw new StorageError(
      'InvalidLocation',
      published ? `The location "${name}" gives your identity no access (yours: ${names(locations)}).` : `There is no location "${name}" (yours: ${names(locations)}).`,
    );
  }

  // --- Listing --------------------------------------------------------------------------------

  /** Every object below a prefix of a location (all pages), keys relative to the location. */
  async *list(options: { location?: LocationReference; prefix?: string; pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<StoredObject> {
    const location = await this.location(options.location);
    const prefix = toLocationListingPrefix(location, options.prefix);
    requirePermission(location, options.prefix, 'list');
    let continuationToken: string | undefined;
    do {
      const page = await this.listPage(location, prefix, { continuationToken, pageSize: options.pageSize, recursive: true, signal: options.signal }, options.prefix ?? location.name);
      for (const object of page.Contents ?? []) yield storedObject(location, object);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  /** One page of a folder: sub-folders and files apart (unless `recursive`), with an opaque `nextToken`. */
  async listFolder(options: ListFolderOptions = {}): Promise<FolderListing> {
    const location = await this.location(options.location);
    const folder = asFolderPath(options.prefix);
    const prefix = toLocationListingPrefix(location, folder);
    requirePermission(location, folder, 'list');
    const recursive = options.recursive ?? false;
    if (options.pageSize !== undefined && !(Number.isInteger(options.pageSize) && options.pageSize >= 1 && options.pageSize <= 1000)) {
      throw new StorageError('InvalidArgument', `pageSize must be a whole number from 1 to 1000, got ${options.pageSize}.`);
    }
    const scope = { location: location.name, prefix, recursive };
    const continuationToken = options.nextToken === undefined ? undefined : decodeListingToken(scope, options.nextToken);
    const page = await this.listPage(location, prefix, { continuationToken, pageSize: options.pageSize, recursive, signal: options.signal }, folder ?? location.name).catch((error: unknown) => {
      // The token's check passed but S3 still refused what was inside: the same refusal as any token not made here.
      if (continuationToken !== undefined && error instanceof StorageError && (error.cause as { name?: string } | undefined)?.name === 'InvalidArgument') {
        throw new StorageError('InvalidArgument', NOT_A_LISTING_TOKEN, { cause: error });
      }
      throw error;
    });
    return {
      folders: (page.CommonPrefixes ?? []).map((entry) => toRelativeKey(location.prefix, entry.Prefix!)),
      // The folder's own marker (`photos/` in `photos/`) is the folder, not a file in it.
      files: (page.Contents ?? []).filter((object) => object.Key !== prefix || prefix === location.prefix).map((object) => storedObject(location, object)),
      ...(page.IsTruncated && page.NextContinuationToken ? { nextToken: encodeListingToken(scope, page.NextContinuationToken) } : {}),
    };
  }

  // --- Folders --------------------------------------------------------------------------------

  /** A zero-byte `path/` marker object, as the S3 console makes, so an empty folder shows. */
  async createFolder(location: LocationReference | undefined, path: string): Promise<{ key: string }> {
    const resolved = await this.location(location);
    const folder = asFolderPath(path) ?? '';
    const fullKey = toLocationKey(resolved, folder);
    requirePermission(resolved, folder, 'write');
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: fullKey, Body: new Uint8Array(0) })).catch((error: unknown) => {
      throw toStorageError(error, `creating the folder ${resolved.name}:${folder}`);
    });
    return { key: folder };
  }

  /**
   * How many files and bytes are below a folder: what a confirmation before `deleteFolder` shows.
   * Folder markers (the empty `folder/` objects `createFolder` makes) are counted apart, so a
   * folder of three files says three. '' or no path is the whole location.
   */
  async summarizeFolder(location: LocationReference | undefined, path?: string): Promise<FolderSummary> {
    const resolved = await this.location(location);
    const summary: FolderSummary = { files: 0, bytes: 0, folderMarkers: 0 };
    for await (const object of this.list({ location: resolved, prefix: asFolderPath(path) })) {
      if (object.key.endsWith('/')) summary.folderMarkers += 1;
      else summary.files += 1;
      summary.bytes += object.size;
    }
    return summary;
  }

  /**
   * Deletes every object below a folder (and its marker), 1000 per request. '' or no path is the
   * whole location, where it may be listed (not a protected location's top) and deleted in.
   */
  async deleteFolder(location: LocationReference | undefined, path?: string, options: { onProgress?: (progress: DeleteFolderProgress) => void; signal?: AbortSignal } = {}): Promise<{ deleted: number; failed: DeleteFailure[] }> {
    const resolved = await this.location(location);
    const folder = asFolderPath(path);
    const prefix = toLocationListingPrefix(resolved, folder);
    requirePermission(resolved, folder, 'list');
    requirePermission(resolved, folder, 'delete');
    let deleted = 0;
    const failed: DeleteFailure[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.listPage(resolved, prefix, { continuationToken, pageSize: DELETE_BATCH, recursive: true, signal: options.signal }, `${resolved.name}:${folder ?? ''}`);
      const keys = (page.Contents ?? []).map((object) => object.Key!);
      if (keys.length > 0) {
        const outcome = await this.deleteBatch(resolved, keys, options.signal);
        deleted += outcome.deleted.length;
        failed.push(...outcome.failed);
        options.onProgress?.({ deleted, failed: failed.length });
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return { deleted, failed };
  }

  // --- Objects --------------------------------------------------------------------------------

  /** Size, type, dates, ETag, stored checksum and user metadata of one object. */
  async properties(key: string): Promise<ObjectProperties>;
  async properties(location: LocationReference | undefined, key: string): Promise<ObjectProperties>;
  async properties(...args: [string] | [LocationReference | undefined, string]): Promise<ObjectProperties> {
    const [locationReference, key] = args.length === 1 ? [undefined, args[0]] : args;
    const { location, fullKey } = await this.target(locationReference, key, 'read');
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey, ChecksumMode: 'ENABLED' })).catch(async (error: unknown) => {
      throw await this.readFailure(error, location, key, `properties of ${location.name}:${key}`);
    });
    return objectProperties(key, head);
  }

  /** Opens an object for streaming; `onProgress` counts bytes as the body is read. */
  async download(key: string, options?: DownloadOptions): Promise<DownloadResult>;
  async download(location: LocationReference | undefined, key: string, options?: DownloadOptions): Promise<DownloadResult>;
  async download(...args: unknown[]): Promise<DownloadResult> {
    const [locationReference, key, options = {}] = (typeof args[1] === 'string' ? args : [undefined, ...args]) as [LocationReference | undefined, string, DownloadOptions | undefined];
    const { location, fullKey } = await this.target(locationReference, key, 'read');
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey, Range: options.range }), { abortSignal: options.signal });
      const contentLength = response.ContentLength ?? 0;
      const body = response.Body!.transformToWebStream() as ReadableStream<Uint8Array>;
      return {
        body: options.onProgress ? countDownloadedBytes(body, contentLength, options.onProgress) : body,
        contentLength,
        contentType: response.ContentType,
        etag: response.ETag,
        lastModified: response.LastModified,
        contentRange: response.ContentRange,
      };
    } catch (error) {
      if (options.signal?.aborted) throw new StorageError('Aborted', `Cancelled: download of ${key}.`, { cause: error });
      throw await this.readFailure(error, location, key, `download of ${key}`);
    }
  }

  /**
   * A pre-signed GET link. It can live no longer than the credentials that sign it (S3 refuses
   * it from then on), so the expiry is capped at theirs, and the result says so.
   */
  async share(key: string, options?: ShareOptions): Promise<ShareLink>;
  async share(location: LocationReference | undefined, key: string, options?: ShareOptions): Promise<ShareLink>;
  async share(...args: unknown[]): Promise<ShareLink> {
    const [locationReference, key, options = {}] = (typeof args[1] === 'string' ? args : [undefined, ...args]) as [LocationReference | undefined, string, ShareOptions | undefined];
    const { location, fullKey } = await this.target(locationReference, key, 'read');
    if (options.disposition !== undefined && options.disposition !== 'inline' && options.disposition !== 'attachment') {
      throw new StorageError('InvalidArgument', `disposition must be "inline" or "attachment", got ${JSON.stringify(options.disposition)}.`);
    }
    const requested = Math.min(Math.max(1, Math.floor(options.expiresInSeconds ?? 3600)), MAX_SHARE_SECONDS);
    await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey })).catch(async (error: unknown) => {
      throw await this.readFailure(error, location, key, `sharing ${key}`);
    });
    const credentials = await this.credentials.get();
    const remaining = Math.floor((credentials.expiration.getTime() - Date.now()) / 1000) - 5;
    if (remaining <= 0) throw new StorageError('Expired', 'The credentials expire too soon to sign a share link; try again.');
    const expiresIn = Math.min(requested, remaining);
    const disposition = options.disposition ?? (options.fileName !== undefined ? 'attachment' : undefined);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: fullKey,
      ...(disposition && { ResponseContentDisposition: contentDisposition(disposition, options.fileName ?? fileNameOf(key)) }),
    });
    const url = await getSignedUrl(this.s3, command, { expiresIn });
    return { url, expiresAt: new Date(Date.now() + expiresIn * 1000), cappedByCredentials: expiresIn < requested };
  }

  // --- CDN delivery (docs/delivery.md) ----------------------------------------------------------

  /**
   * A CDN link to a file, signed by the token service (up to 7 days, cached by the CDN): for links
   * handed out for days and popular files. `LinkDenied` when your credentials could not read it,
   * `DeliveryNotConfigured` without a CDN. `share` signs a shorter S3 link without the token service.
   */
  async cdnLink(location: LocationReference | undefined, key: string, options: CdnLinkOptions = {}): Promise<CdnLink> {
    if (this.options.outputs.cdnUrl === undefined) throw deliveryNotConfigured();
    const resolved = await this.location(location);
    toLocationKey(resolved, key);
    return requestCdnLink(this.cdnLinkContext(), resolved, key, options);
  }

  /** Signed CDN cookies for every location you may read, for pages showing many files (one request instead of one signature per file). */
  async cdnCookies(options: { expiresInSeconds?: number } = {}): Promise<CdnCookies> {
    return requestCdnCookies(this.cdnLinkContext(), options);
  }

  /** The unsigned CDN address of a file in a public location (guests may read it); `InvalidLocation` for any other location. */
  async publicUrl(location: LocationReference | undefined, key: string): Promise<string> {
    const { cdnUrl } = this.options.outputs;
    if (cdnUrl === undefined) throw deliveryNotConfigured();
    const resolved = await this.location(location);
    return publicCdnUrl(cdnUrl, publishedRulesOf(this.options.outputs), resolved, toLocationKey(resolved, key));
  }

  private cdnLinkContext(): CdnLinkContext {
    return { tokenServiceUrl: this.options.outputs.tokenServiceUrl, cdnUrl: this.options.outputs.cdnUrl, getSessionToken: this.getSessionToken, fetch: this.fetchImplementation };
  }

  /**
   * A link that lets someone without an account or SDK upload one file into `folder` (relative to
   * the location, `''` for its top) under a fresh key, signed with the caller's own credentials:
   * it can live no longer than they do (the result says when it expires). Refused before signing
   * (`InvalidLocation`) where the caller may not write. A PUT link is single use (a second upload
   * gets 412); a POST link is single key (a second POST before expiry replaces the first file).
   */
  async createUploadLink(location: LocationReference | undefined, folder: string, options: UploadLinkOptions): Promise<UploadLink> {
    const checked = checkUploadLinkOptions(options);
    if (typeof folder !== 'string') throw new StorageError('InvalidArgument', `folder must be a path relative to the location ('' for its top), got ${String(folder)}.`);
    const key = freshUploadKey(folder, checked.contentType);
    const { fullKey } = await this.target(location, key, 'write');
    const credentials = await this.credentials.get();
    return signUploadLink({ s3: (this.uploadLinkSigner ??= new S3Client({ ...this.s3Config, ...UPLOAD_LINK_SIGNING_CONFIG })), bucket: this.bucket, fullKey, key, options: checked, credentialsExpireAt: credentials.expiration, encryption: this.encryption });
  }

  /** Deletes one or many objects; reports per key what could not be deleted. */
  async remove(keys: string | string[]): Promise<{ deleted: string[]; failed: DeleteFailure[] }>;
  async remove(location: LocationReference | undefined, keys: string | string[]): Promise<{ deleted: string[]; failed: DeleteFailure[] }>;
  async remove(...args: unknown[]): Promise<{ deleted: string[]; failed: DeleteFailure[] }> {
    const [locationReference, keys] = (args.length >= 2 ? args : [undefined, args[0]]) as [LocationReference | undefined, string | string[]];
    const location = await this.location(locationReference);
    const list = Array.isArray(keys) ? keys : [keys];
    const fullKeys = list.map((key) => toLocationKey(location, key));
    for (const key of list) requirePermission(location, key, 'delete');
    if (fullKeys.length === 1) {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKeys[0] })).catch((error: unknown) => {
        throw toStorageError(error, `deletion of ${list[0]}`);
      });
      return { deleted: list, failed: [] };
    }
    const deleted: string[] = [];
    const failed: DeleteFailure[] = [];
    for (let start = 0; start < fullKeys.length; start += DELETE_BATCH) {
      const outcome = await this.deleteBatch(location, fullKeys.slice(start, start + DELETE_BATCH));
      deleted.push(...outcome.deleted);
      failed.push(...outcome.failed);
    }
    return { deleted, failed };
  }

  /** Copies inside S3, within a location or across two: CopyObject up to 5 GiB, UploadPartCopy above. */
  async copy(from: ObjectReference, to: ObjectReference, options: CopyOptions = {}): Promise<CopyResult> {
    const source = await this.target(from.location, from.key, 'read');
    const target = await this.target(to.location, to.key, 'write');
    if (source.fullKey === target.fullKey) throw new StorageError('InvalidArgument', `Cannot copy ${source.location.name}:${from.key} onto itself.`);
    const what = `copy of ${source.location.name}:${from.key} to ${target.location.name}:${to.key}`;
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: source.fullKey }), { abortSignal: options.signal }).catch(async (error: unknown) => {
      throw await this.readFailure(error, source.location, from.key, what);
    });
    try {
      const copied = await copyInsideS3({
        s3: this.s3,
        bucket: this.bucket,
        sourceKey: source.fullKey,
        targetKey: target.fullKey,
        source: { size: head.ContentLength ?? 0, etag: head.ETag ?? '', contentType: head.ContentType, metadata: head.Metadata },
        multipartThreshold: this.multipartCopyThreshold,
        partSize: this.copyPartSize,
        concurrency: this.concurrency,
        ifNoneMatch: options.ifNoneMatch,
        signal: options.signal,
      });
      return { key: to.key, location: target.location.name, etag: copied.etag, size: head.ContentLength ?? 0, parts: copied.parts };
    } catch (error) {
      if (options.signal?.aborted) throw new StorageError('Aborted', `Cancelled: ${what}.`, { cause: error });
      throw toStorageError(error, what);
    }
  }

  /** Copies, then deletes the source; a failed delete is reported and the copy stays. */
  async move(from: ObjectReference, to: ObjectReference, options: CopyOptions = {}): Promise<MoveResult> {
    const source = await this.target(from.location, from.key, 'read');
    requirePermission(source.location, from.key, 'delete');
    const copied = await this.copy(from, to, options);
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: source.fullKey }));
      return { ...copied, sourceDeleted: true };
    } catch (error) {
      const failure = toStorageError(error, `deletion of ${source.location.name}:${from.key} after copying it`);
      return { ...copied, sourceDeleted: false, deleteFailure: { code: failure.code, message: failure.message } };
    }
  }

  // --- Uploads --------------------------------------------------------------------------------

  /**
   * Starts an upload and returns its task at once (pause, resume, cancel, retry, progress, done).
   * With three or four arguments whose third is a body, the first names the location.
   */
  startUpload(key: string, body: UploadBody, options?: UploadOptions): UploadTask;
  startUpload(location: LocationReference | undefined, key: string, body: UploadBody, options?: UploadOptions): UploadTask;
  startUpload(...args: unknown[]): UploadTask {
    const [locationReference, key, body, options = {}] = uploadArguments(args);
    const taskBody = toUploadTaskBody(body);
    const task = deferUploadTask(async () => {
      const { fullKey } = await this.target(locationReference, key, 'write');
      return () => startUploadTask({
        s3: this.s3,
        bucket: this.bucket,
        fullKey,
        displayKey: key,
        body: taskBody,
        concurrency: this.concurrency,
        multipartThreshold: this.multipartThreshold,
        partSize: this.partSize,
        contentType: options.contentType,
        metadata: options.metadata,
        ifNoneMatch: options.ifNoneMatch,
        resumeStore: this.options.resumeStore,
        signal: options.signal,
      });
    }, isRandomAccessSource(taskBody) ? taskBody.size : undefined);
    if (options.onProgress) task.onProgress(options.onProgress);
    return task;
  }

  /** Uploads and waits: `startUpload(...).done`. */
  async upload(key: string, body: UploadBody, options?: UploadOptions): Promise<UploadResult>;
  async upload(location: LocationReference | undefined, key: string, body: UploadBody, options?: UploadOptions): Promise<UploadResult>;
  async upload(...args: unknown[]): Promise<UploadResult> {
    const key = uploadArguments(args)[1];
    const result = await (this.startUpload as (...values: unknown[]) => UploadTask)(...args).done;
    return { key, etag: result.etag, ...(result.size !== undefined && { size: result.size }), resumed: result.resumed };
  }

  // --- Internals ------------------------------------------------------------------------------

  private get bucket(): string {
    return this.options.outputs.bucket;
  }

  private tokenRequest(getSessionToken: SessionTokenSource) {
    return (guestLink?: Parameters<typeof requestIdentityToken>[4]) => requestIdentityToken(this.options.outputs.tokenServiceUrl, getSessionToken, this.fetchImplementation, {}, guestLink);
  }

  /** The location, the checked full key, and the permission the operation needs, refused before sending. */
  private async target(reference: LocationReference | undefined, key: string, permission: 'read' | 'write'): Promise<{ location: StorageLocation; fullKey: string }> {
    const location = await this.location(reference);
    const fullKey = toLocationKey(location, key);
    requirePermission(location, key, permission);
    return { location, fullKey };
  }

  private listPage(
    location: StorageLocation,
    prefix: string,
    page: { continuationToken?: string; pageSize?: number; recursive: boolean; signal?: AbortSignal },
    what: string,
  ) {
    return this.s3
      .send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: page.recursive ? undefined : '/', ContinuationToken: page.continuationToken, MaxKeys: page.pageSize }),
        { abortSignal: page.signal },
      )
      .catch((error: unknown) => {
        throw toStorageError(error, `listing ${location.name}:${toRelativeKey(location.prefix, prefix) || what}`);
      });
  }

  private async deleteBatch(location: StorageLocation, fullKeys: string[], signal?: AbortSignal): Promise<{ deleted: string[]; failed: DeleteFailure[] }> {
    const response = await this.s3
      .send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: fullKeys.map((Key) => ({ Key })), Quiet: false } }), { abortSignal: signal })
      .catch((error: unknown) => {
        throw toStorageError(error, `deletion of ${fullKeys.length} objects in ${location.name}`);
      });
    return {
      deleted: (response.Deleted ?? []).map((entry) => toRelativeKey(location.prefix, entry.Key!)),
      failed: (response.Errors ?? []).map((entry) => ({ key: toRelativeKey(location.prefix, entry.Key!), code: entry.Code ?? 'Error', message: entry.Message ?? '' })),
    };
  }

  /**
   * S3 answers 403, not 404, for a missing key when the caller may not list there. Where the
   * identity may list (its own location, a shared or tenant one, a protected identity folder),
   * listing the key itself tells "missing" apart from "denied", so callers are not told they lack
   * access to a file that simply is not there; elsewhere AccessDenied stays.
   */
  private async readFailure(error: unknown, location: StorageLocation, key: string, what: string): Promise<StorageError> {
    const failure = toStorageError(error, what);
    if (failure.code !== 'AccessDenied') return failure;
    const fullKey = location.prefix + key;
    let canList = false;
    try {
      requirePermission(location, key, 'list');
      canList = true;
    } catch {
      canList = false;
    }
    if (!canList) return failure;
    const listing = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullKey, MaxKeys: 1 })).catch(() => undefined);
    if (!listing || listing.Contents?.some((object) => object.Key === fullKey)) return failure;
    return new StorageError('NotFound', `Not found: ${what}.`, { cause: error, status: failure.status });
  }
}

function names(locations: StorageLocation[]): string {
  return locations.map((location) => location.name).join(', ') || 'none';
}

/** A folder path ends with `/` ('' and absent stay: the location's top). */
function asFolderPath(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  return path.endsWith('/') ? path : `${path}/`;
}

function storedObject(location: StorageLocation, object: { Key?: string; Size?: number; LastModified?: Date; ETag?: string }): StoredObject {
  return { key: toRelativeKey(location.prefix, object.Key!), size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0), etag: object.ETag ?? '' };
}

function objectProperties(key: string, head: HeadObjectCommandOutput): ObjectProperties {
  const checksumField = CHECKSUM_FIELDS.find(([field]) => typeof head[field] === 'string');
  const checksumType = head.ChecksumType === 'FULL_OBJECT' || head.ChecksumType === 'COMPOSITE' ? head.ChecksumType : undefined;
  return {
    key,
    size: head.ContentLength ?? 0,
    ...(head.ContentType !== undefined && { contentType: head.ContentType }),
    lastModified: head.LastModified ?? new Date(0),
    etag: head.ETag ?? '',
    ...(checksumField && { checksum: `${checksumField[1]}:${head[checksumField[0]] as string}`, ...(checksumType && { checksumType }) }),
    metadata: { ...head.Metadata },
  };
}

/** `(key, body, options?)` or `(location, key, body, options?)`: the latter when the third argument is a body, not options. */
function uploadArguments(args: unknown[]): [LocationReference | undefined, string, UploadBody, UploadOptions | undefined] {
  if (args.length >= 3 && isUploadBody(args[2])) return args as [LocationReference | undefined, string, UploadBody, UploadOptions | undefined];
  return [undefined, args[0] as string, args[1] as UploadBody, args[2] as UploadOptions | undefined];
}

function isUploadBody(value: unknown): value is UploadBody {
  if (typeof value === 'string' || value instanceof Uint8Array) return true;
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  if (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream) return true;
  if (isRandomAccessSource(value)) return true;
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function toUploadTaskBody(body: UploadBody): RandomAccessSource | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> {
  if (typeof body === 'string') return bytesSource(new TextEncoder().encode(body), 'text');
  if (body instanceof Uint8Array) return bytesSource(body);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return blobSource(body);
  return body as RandomAccessSource | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
}
