/** The kinds of failure a caller of the client library can act on. */
export type StorageErrorCode =
  | 'AccessDenied'
  | 'NotFound'
  | 'Expired'
  | 'Conflict'
  | 'AlreadyExists'
  | 'TooLarge'
  | 'Network'
  | 'Aborted'
  | 'InvalidKey'
  | 'InvalidConfiguration'
  | 'InvalidLocation'
  | 'InvalidArgument'
  | 'SignInRequired'
  | 'RateLimited'
  /** The deployment has no CDN (no `cdnUrl` in its outputs, or the token service has delivery off). */
  | 'DeliveryNotConfigured'
  /** The token service refused a CDN link or cookies: the caller's own credentials could not read it. */
  | 'LinkDenied'
  | 'ServiceError';

/** A failure of a storage operation; `cause` holds the underlying SDK or fetch error. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  readonly status: number | undefined;
  /** When the service said how long to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;
}

const S3_CODE_TO_STORAGE_CODE: Record<string, StorageErrorCode> = {
  AccessDenied: 'AccessDenied',
  Forbidden: 'AccessDenied',
  InvalidAccessKeyId: 'Expired',
  ExpiredToken: 'Expired',
  TokenRefreshRequired: 'Expired',
  NotAuthorizedException: 'Expired',
  NoSuchKey: 'NotFound',
  NotFound: 'NotFound',
  NoSuchUpload: 'NotFound',
  // The library's only write condition is If-None-Match: *, so a failed precondition means the key is taken.
  PreconditionFailed: 'AlreadyExists',
  EntityTooLarge: 'TooLarge',
  ConditionalRequestConflict: 'Conflict',
  ResourceConflictException: 'Conflict',
  SlowDown: 'RateLimited',
  TooManyRequestsException: 'RateLimited',
  AbortError: 'Aborted',
};

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'TimeoutError', 'NetworkingError']);

/** Turns whatever an SDK call threw into a {@link StorageError} saying what happened to `what`. */
export function toStorageError(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const details = error as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number }; message?: string } | undefined;
  const status = details?.$metadata?.httpStatusCode;
  const name = details?.name ?? details?.Code ?? '';
  const mapped = S3_CODE_TO_STORAGE_CODE[name] ?? (status === 404 ? 'NotFound' : status === 403 ? 'AccessDenied' : status === 412 ? 'AlreadyExists' : undefined);
  if (mapped) return new StorageError(mapped, describe(mapped, what), { cause: error, status });
  if (NETWORK_ERROR_CODES.has(details?.code ?? '') || NETWORK_ERROR_CODES.has(name) || error instanceof TypeError) {
    return new StorageError('Network', `Could not reach the storage service for ${what}: ${details?.message ?? 'network error'}.`, { cause: error, status });
  }
  return new StorageError('ServiceError', `The storage service failed ${what}${name ? ` (${name})` : ''}.`, { cause: error, status });
}

function describe(code: StorageErrorCode, what: string): string {
  switch (code) {
    case 'AccessDenied':
      return `Access denied for ${what}: the access rules do not let your identity do this there.`;
    case 'NotFound':
      return `Not found: ${what}.`;
    case 'Expired':
      return `Your sign-in or credentials expired during ${what}; sign in again.`;
    case 'Conflict':
      return `Conflict for ${what}: the object changed meanwhile; try again.`;
    case 'AlreadyExists':
      return `Already exists: ${what} would replace an existing object.`;
    case 'TooLarge':
      return `Too large: ${what} exceeds what S3 accepts.`;
    case 'RateLimited':
      return `Too many requests for ${what}; try again shortly.`;
    case 'Aborted':
      return `Cancelled: ${what}.`;
    default:
      return `Failed: ${what}.`;
  }
}
