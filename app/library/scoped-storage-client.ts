import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { IdentityCredentialsProvider } from './identity-credentials.ts';
import { uploadInParts, type UploadProgress } from './multipart-upload.ts';
import { ownPrefixOf, toFullKey, toFullPrefix, toRelativeKey } from './object-keys.ts';
import type { ResumeStore } from './resume-store.ts';
import { StorageError, toStorageError } from './storage-errors.ts';
import type { StorageOutputs } from './storage-outputs.ts';
import { requestIdentityToken, type SessionTokenSource } from './token-service-client.ts';
import { blobSource, bytesSource, isRandomAccessSource, type RandomAccessSource } from './upload-source.ts';

export interface ScopedStorageClientOptions {
  outputs: StorageOutputs;
  /** Returns the app session token the token service accepts. */
  getSessionToken: SessionTokenSource;
  /** Endpoint overrides (the local cloud's); default: the outputs' endpoints, else AWS. */
  endpoints?: { s3?: string; cognitoIdentity?: string };
  /** HTTP handler for the AWS clients, e.g. one that trusts the local cloud's CA in Node. */
  requestHandler?: S3ClientConfig['requestHandler'];
  fetch?: typeof fetch;
  /** Size of each part of a multipart upload. @default 8 MiB */
  partSize?: number;
  /** Parts in flight at once. @default 4 */
  concurrency?: number;
  /** Uploads bigger than this go multipart. @default 16 MiB */
  multipartThreshold?: number;
  /** Refresh credentials this long before they expire. @default 300 */
  refreshMarginSeconds?: number;
  /** Where resumable uploads remember their upload ids. @default none: uploads cannot be resumed after a crash */
  resumeStore?: ResumeStore;
}

export type UploadBody = Uint8Array | Blob | RandomAccessSource | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | string;

export interface UploadOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Refuse to overwrite an existing object (`If-None-Match: *`). */
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
}

export interface UploadResult {
  key: string;
  etag: string;
  size?: number;
  resumed: boolean;
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface DownloadResult {
  body: ReadableStream<Uint8Array>;
  contentLength: number;
  contentType?: string;
  etag?: string;
  lastModified?: Date;
  contentRange?: string;
}

export interface ShareLink {
  url: string;
  expiresAt: Date;
  /** True when the link lives shorter than asked because the signing credentials expire first. */
  cappedByCredentials: boolean;
}

export interface Identity {
  identityId: string;
  prefix: string;
  credentialsExpireAt: Date;
}

const MIB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MIB;
const MAX_SHARE_SECONDS = 7 * 24 * 3600;

/**
 * Reads and writes the signed-in user's own files in S3 directly, with short-lived credentials
 * of their Cognito identity. Keys are relative to the identity's own prefix.
 */
export class ScopedStorageClient {
  readonly credentials: IdentityCredentialsProvider;
  readonly s3: S3Client;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly multipartThreshold: number;

  constructor(private readonly options: ScopedStorageClientOptions) {
    const { outputs } = options;
    const endpoints = { ...outputs.endpoints, ...options.endpoints };
    this.partSize = options.partSize ?? 8 * MIB;
    if (this.partSize < MIN_PART_SIZE) throw new StorageError('InvalidConfiguration', `partSize must be at least 5 MiB (S3's minimum part size), got ${this.partSize}.`);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.multipartThreshold = Math.max(this.partSize, options.multipartThreshold ?? 16 * MIB);
    const fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.credentials = new IdentityCredentialsProvider({
      requestToken: () => requestIdentityToken(outputs.tokenServiceUrl, options.getSessionToken, fetchImplementation),
      cognitoClientConfig: { region: outputs.region, endpoint: endpoints.cognitoIdentity, requestHandler: options.requestHandler as never },
      refreshMarginSeconds: options.refreshMarginSeconds,
    });
    this.s3 = new S3Client({
      region: outputs.region,
      endpoint: endpoints.s3,
      forcePathStyle: endpoints.s3 !== undefined,
      credentials: this.credentials.provide,
      requestHandler: options.requestHandler,
    });
  }

  async whoami(): Promise<Identity> {
    const credentials = await this.credentials.get();
    return { identityId: credentials.identityId, prefix: ownPrefixOf(credentials.identityId), credentialsExpireAt: credentials.expiration };
  }

  async upload(key: string, body: UploadBody, options: UploadOptions = {}): Promise<UploadResult> {
    const fullKey = await this.fullKey(key);
    const source = toRandomAccessSource(body);
    try {
      if (source && source.size > this.multipartThreshold) {
        const result = await uploadInParts({
          s3: this.s3,
          bucket: this.options.outputs.bucket,
          key: fullKey,
          source,
          partSize: this.partSize,
          concurrency: this.concurrency,
          contentType: options.contentType,
          metadata: options.metadata,
          ifNoneMatch: options.ifNoneMatch,
          signal: options.signal,
          onProgress: options.onProgress,
          resumeStore: this.options.resumeStore,
        });
        return { key, etag: result.etag, size: source.size, resumed: result.resumed };
      }
      if (source) {
        options.onProgress?.({ loadedBytes: 0, totalBytes: source.size });
        const response = await this.s3.send(
          new PutObjectCommand({
            Bucket: this.options.outputs.bucket,
            Key: fullKey,
            Body: await source.read(0, source.size),
            ContentType: options.contentType,
            Metadata: options.metadata,
            IfNoneMatch: options.ifNoneMatch ? '*' : undefined,
          }),
          { abortSignal: options.signal },
        );
        options.onProgress?.({ loadedBytes: source.size, totalBytes: source.size });
        return { key, etag: response.ETag ?? '', size: source.size, resumed: false };
      }
      return await this.uploadStream(key, fullKey, body as ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, options);
    } catch (error) {
      if (options.signal?.aborted) throw new StorageError('Aborted', `Cancelled: upload of ${key}.`, { cause: error });
      throw toStorageError(error, `upload of ${key}`);
    }
  }

  /** Streams of unknown length go through lib-storage, which buffers at most part size x concurrency. */
  private async uploadStream(key: string, fullKey: string, body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, options: UploadOptions): Promise<UploadResult> {
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.options.outputs.bucket, Key: fullKey, Body: toStreamBody(body) as never, ContentType: options.contentType, Metadata: options.metadata, IfNoneMatch: options.ifNoneMatch ? '*' : undefined },
      partSize: this.partSize,
      queueSize: this.concurrency,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    upload.on('httpUploadProgress', (progress) => options.onProgress?.({ loadedBytes: progress.loaded ?? 0, totalBytes: progress.total ?? 0 }));
    try {
      const result = await upload.done();
      return { key, etag: result.ETag ?? '', resumed: false };
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  /** Lists the identity's own objects (optionally under a relative prefix), page by page. */
  async *list(options: { prefix?: string; pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<StoredObject> {
    const ownPrefix = await this.ownPrefix();
    const prefix = toFullPrefix(ownPrefix, options.prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.s3
        .send(new ListObjectsV2Command({ Bucket: this.options.outputs.bucket, Prefix: prefix, ContinuationToken: continuationToken, MaxKeys: options.pageSize }), { abortSignal: options.signal })
        .catch((error: unknown) => {
          throw toStorageError(error, `listing ${options.prefix ?? 'your files'}`);
        });
      for (const object of page.Contents ?? []) {
        yield { key: toRelativeKey(ownPrefix, object.Key!), size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0), etag: object.ETag ?? '' };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  /** Opens an object for streaming; `range` as in HTTP (`bytes=0-99`). */
  async download(key: string, options: { range?: string; signal?: AbortSignal } = {}): Promise<DownloadResult> {
    const fullKey = await this.fullKey(key);
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.options.outputs.bucket, Key: fullKey, Range: options.range }), { abortSignal: options.signal });
      return {
        body: response.Body!.transformToWebStream() as ReadableStream<Uint8Array>,
        contentLength: response.ContentLength ?? 0,
        contentType: response.ContentType,
        etag: response.ETag,
        lastModified: response.LastModified,
        contentRange: response.ContentRange,
      };
    } catch (error) {
      throw await this.readFailure(error, fullKey, `download of ${key}`);
    }
  }

  /** Deletes one or many objects; reports per key what could not be deleted. */
  async remove(keys: string | string[]): Promise<{ deleted: string[]; failed: Array<{ key: string; code: string; message: string }> }> {
    const list = Array.isArray(keys) ? keys : [keys];
    const ownPrefix = await this.ownPrefix();
    const fullKeys = list.map((key) => toFullKey(ownPrefix, key));
    if (fullKeys.length === 1) {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.outputs.bucket, Key: fullKeys[0] })).catch((error: unknown) => {
        throw toStorageError(error, `deletion of ${list[0]}`);
      });
      return { deleted: list, failed: [] };
    }
    const deleted: string[] = [];
    const failed: Array<{ key: string; code: string; message: string }> = [];
    for (let start = 0; start < fullKeys.length; start += 1000) {
      const batch = fullKeys.slice(start, start + 1000);
      const response = await this.s3
        .send(new DeleteObjectsCommand({ Bucket: this.options.outputs.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }))
        .catch((error: unknown) => {
          throw toStorageError(error, `deletion of ${batch.length} objects`);
        });
      for (const entry of response.Deleted ?? []) deleted.push(toRelativeKey(ownPrefix, entry.Key!));
      for (const entry of response.Errors ?? []) failed.push({ key: toRelativeKey(ownPrefix, entry.Key!), code: entry.Code ?? 'Error', message: entry.Message ?? '' });
    }
    return { deleted, failed };
  }

  /**
   * A pre-signed GET link. It can live no longer than the credentials that sign it (S3 refuses
   * it from then on), so the expiry is capped at theirs, and the result says so.
   */
  async share(key: string, options: { expiresInSeconds?: number } = {}): Promise<ShareLink> {
    const fullKey = await this.fullKey(key);
    const requested = Math.min(Math.max(1, Math.floor(options.expiresInSeconds ?? 3600)), MAX_SHARE_SECONDS);
    await this.s3.send(new HeadObjectCommand({ Bucket: this.options.outputs.bucket, Key: fullKey })).catch(async (error: unknown) => {
      throw await this.readFailure(error, fullKey, `sharing ${key}`);
    });
    const credentials = await this.credentials.get();
    const remaining = Math.floor((credentials.expiration.getTime() - Date.now()) / 1000) - 5;
    if (remaining <= 0) throw new StorageError('Expired', 'The credentials expire too soon to sign a share link; try again.');
    const expiresIn = Math.min(requested, remaining);
    const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.options.outputs.bucket, Key: fullKey }), { expiresIn });
    return { url, expiresAt: new Date(Date.now() + expiresIn * 1000), cappedByCredentials: expiresIn < requested };
  }

  /**
   * S3 answers 403, not 404, for a missing key when the caller may not list the bucket root (the
   * policies allow listing only inside the own prefix). Listing the key itself tells "missing"
   * apart from "denied", so callers are not told they lack access to their own file.
   */
  private async readFailure(error: unknown, fullKey: string, what: string): Promise<StorageError> {
    const failure = toStorageError(error, what);
    if (failure.code !== 'AccessDenied') return failure;
    const listing = await this.s3.send(new ListObjectsV2Command({ Bucket: this.options.outputs.bucket, Prefix: fullKey, MaxKeys: 1 })).catch(() => undefined);
    if (!listing || listing.Contents?.some((object) => object.Key === fullKey)) return failure;
    return new StorageError('NotFound', `Not found: ${what}.`, { cause: error, status: failure.status });
  }

  private async ownPrefix(): Promise<string> {
    return ownPrefixOf((await this.credentials.get()).identityId);
  }

  private async fullKey(key: string): Promise<string> {
    return toFullKey(await this.ownPrefix(), key);
  }
}

/**
 * lib-storage reads web streams and Node streams but refuses other async iterables (such as an
 * async generator), so those are wrapped in a web stream that pulls one chunk at a time.
 */
function toStreamBody(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): unknown {
  const isStream = (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) || typeof (body as { pipe?: unknown }).pipe === 'function';
  if (isStream) return body;
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

function toRandomAccessSource(body: UploadBody): RandomAccessSource | undefined {
  if (typeof body === 'string') return bytesSource(new TextEncoder().encode(body), 'text');
  if (body instanceof Uint8Array) return bytesSource(body);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return blobSource(body);
  if (isRandomAccessSource(body)) return body;
  return undefined;
}
