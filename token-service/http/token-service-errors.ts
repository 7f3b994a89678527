/**
 * Every failure the token service answers with, one class per kind. {@link errorResponse} is the
 * one place that turns them into a status, headers and `{"error": {"code", "message"}}`; anything
 * else that reaches it becomes a 500 `internal` whose text never leaves the process.
 */
export abstract class TokenServiceError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra response headers (`Retry-After`, `Allow`, ...). */
  headers(): Record<string, string> {
    return {};
  }
}

export class UnauthenticatedError extends TokenServiceError {
  readonly status = 401;
  readonly code = 'unauthenticated';
  override headers() {
    return { 'www-authenticate': 'Bearer' };
  }
}

export class ForbiddenError extends TokenServiceError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** The deployment turned the identity lookup off (`TOKEN_SERVICE_IDENTITY_LOOKUP=off`). */
export class LookupDisabledError extends TokenServiceError {
  readonly status = 403;
  readonly code = 'lookup_disabled';
}

/** The caller's own credentials could not read what it asked a CDN link or cookie for. */
export class LinkDeniedError extends TokenServiceError {
  readonly status = 403;
  readonly code = 'link_denied';
}

/** The deployment has no CDN (no `TOKEN_SERVICE_CDN_*` settings, no `delivery` option). */
export class DeliveryNotConfiguredError extends TokenServiceError {
  readonly status = 404;
  readonly code = 'delivery_not_configured';
}

export class InvalidRequestError extends TokenServiceError {
  readonly status = 400;
  readonly code = 'invalid_request';
}

export class NotFoundError extends TokenServiceError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class MethodNotAllowedError extends TokenServiceError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(
    message: string,
    private readonly allowedMethods: readonly string[],
  ) {
    super(message);
  }
  override headers() {
    return { allow: this.allowedMethods.join(', ') };
  }
}

export class ConflictError extends TokenServiceError {
  readonly status = 409;
  readonly code = 'conflict';
}

export class PayloadTooLargeError extends TokenServiceError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  override headers() {
    // The rest of the body is not read, so the connection cannot carry another request.
    return { connection: 'close' };
  }
}

export class UnsupportedMediaTypeError extends TokenServiceError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

export class RateLimitedError extends TokenServiceError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
  override headers() {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/** Cognito (or the session issuer's JWKS) is throttling or unreachable; worth retrying later. */
export class UpstreamUnavailableError extends TokenServiceError {
  readonly status = 503;
  readonly code = 'upstream_unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  override headers() {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/** Cognito failed in a way a retry will not fix; the cause is logged, never sent. */
export class UpstreamError extends TokenServiceError {
  readonly status = 502;
  readonly code = 'upstream_error';
}

export class InternalError extends TokenServiceError {
  readonly status = 500;
  readonly code = 'internal';
}

interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string } };
}

const INTERNAL_MESSAGE = 'The token service failed to answer this request.';

export function errorResponse(error: unknown): ErrorResponse {
  const known = error instanceof TokenServiceError ? error : new InternalError(INTERNAL_MESSAGE);
  return {
    status: known.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...known.headers() },
    body: { error: { code: known.code, message: known.message } },
  };
}

/** What an operator needs to know about a failure (the caller never sees this). */
export function failureDetail(error: unknown): string | undefined {
  const cause = error instanceof TokenServiceError ? error.cause : error;
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
