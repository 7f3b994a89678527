import { StorageError, type StorageErrorCode } from './storage-errors.ts';

/** What the token service hands out: a Cognito OpenID token for the caller's identity. */
export interface IdentityToken {
  identityId: string;
  token: string;
  /** When the OpenID token stops being accepted by Cognito. */
  expiresAt: Date;
  /** The principal tags the token service set on the session (`{}` when none). */
  principalTags: Record<string, string>;
}

/** Proof that the caller holds a guest identity, so the token service hands it (and its files) to the user. */
export interface GuestLink {
  guestIdentityId: string;
  /** A current Cognito OpenID token of the guest identity (GetOpenIdToken without logins). */
  guestToken: string;
}

export type SessionTokenSource = () => string | Promise<string>;

export interface TokenRequestRetry {
  /** Attempts in all, the first included. @default 4 */
  attempts?: number;
  /** Delay before the second attempt; doubled each time (a server's Retry-After wins). @default 250 ms */
  initialDelayMs?: number;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Asks the token service for an OpenID token, authenticated with the app session. A token service
 * that is unreachable, overloaded or restarting is retried with exponential backoff; what still
 * fails after the last attempt is a clear {@link StorageError}.
 */
export async function requestIdentityToken(
  tokenServiceUrl: string,
  getSessionToken: SessionTokenSource,
  fetchImplementation: typeof fetch = fetch,
  retry: TokenRequestRetry = {},
  guestLink?: GuestLink,
): Promise<IdentityToken> {
  const attempts = Math.max(1, retry.attempts ?? 4);
  let delayMs = retry.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await requestIdentityTokenOnce(tokenServiceUrl, getSessionToken, fetchImplementation, guestLink);
    } catch (error) {
      const failure = error as StorageError;
      const retryable = failure.code === 'Network' || (failure.status !== undefined && RETRYABLE_STATUSES.has(failure.status));
      if (!retryable || attempt >= attempts) {
        if (retryable && attempts > 1) throw new StorageError(failure.code, `${failure.message} (gave up after ${attempts} attempts)`, { cause: failure.cause ?? failure, status: failure.status });
        throw error;
      }
      const waitMs = failure.retryAfterSeconds !== undefined ? Math.min(failure.retryAfterSeconds * 1000, 10_000) : delayMs;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      delayMs *= 2;
    }
  }
}

async function requestIdentityTokenOnce(tokenServiceUrl: string, getSessionToken: SessionTokenSource, fetchImplementation: typeof fetch, guestLink: GuestLink | undefined): Promise<IdentityToken> {
  const body = (await postToTokenService(tokenServiceUrl, '/v1/token', getSessionToken, fetchImplementation, guestLink ?? {})) as
    | { identityId?: unknown; token?: unknown; expiresAt?: unknown; principalTags?: unknown }
    | undefined;
  if (typeof body?.identityId !== 'string' || typeof body.token !== 'string' || typeof body.expiresAt !== 'string') {
    throw new StorageError('ServiceError', 'The token service answered without identityId, token and expiresAt.');
  }
  return { identityId: body.identityId, token: body.token, expiresAt: new Date(body.expiresAt), principalTags: stringRecord(body.principalTags) };
}

/**
 * `POST /v1/identities/lookup`: the identity id of an app user who has one, so their protected
 * folder can be opened knowing only their user id. `NotFound` for a user without an identity.
 */
export async function lookupIdentity(tokenServiceUrl: string, getSessionToken: SessionTokenSource, userId: string, fetchImplementation: typeof fetch = fetch): Promise<{ userId: string; identityId: string }> {
  if (typeof userId !== 'string' || userId.length === 0) throw new StorageError('InvalidArgument', 'lookupIdentity needs a non-empty app user id.');
  const body = (await postToTokenService(tokenServiceUrl, '/v1/identities/lookup', getSessionToken, fetchImplementation, { userId }, `no identity for user "${userId}"`)) as
    | { userId?: unknown; identityId?: unknown }
    | undefined;
  if (typeof body?.identityId !== 'string') throw new StorageError('ServiceError', 'The token service answered the lookup without an identityId.');
  return { userId: typeof body.userId === 'string' ? body.userId : userId, identityId: body.identityId };
}

/** The token service's error codes that have a {@link StorageErrorCode} of their own. */
const TOKEN_SERVICE_CODES: Partial<Record<string, StorageErrorCode>> = {
  delivery_not_configured: 'DeliveryNotConfigured',
  link_denied: 'LinkDenied',
};

/** A signed-in POST to the token service; its refusals as {@link StorageError}s. `credentials: 'include'` keeps the cookies a browser is sent. */
export async function postToTokenService(
  tokenServiceUrl: string,
  path: string,
  getSessionToken: SessionTokenSource,
  fetchImplementation: typeof fetch,
  requestBody: object,
  notFound?: string,
  credentials?: RequestCredentials,
): Promise<unknown> {
  const sessionToken = await getSessionToken();
  if (!sessionToken) throw new StorageError('SignInRequired', 'Not signed in: no app session token to ask the token service with.');
  let response: Response;
  try {
    response = await fetchImplementation(`${tokenServiceUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(requestBody),
      ...(credentials === undefined ? {} : { credentials }),
    });
  } catch (error) {
    throw new StorageError('Network', `Could not reach the token service at ${tokenServiceUrl}.`, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  if (!response.ok) {
    const message = body?.error?.message ?? `HTTP ${response.status}`;
    const code =
      TOKEN_SERVICE_CODES[body?.error?.code ?? ''] ??
      (response.status === 401
        ? 'SignInRequired'
        : response.status === 429
          ? 'RateLimited'
          : response.status === 403
            ? 'AccessDenied'
            : response.status === 404 && notFound
              ? 'NotFound'
              : response.status === 409
                ? 'Conflict'
                : 'ServiceError');
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new StorageError(code, code === 'NotFound' ? `Not found: ${notFound}.` : `The token service refused: ${message}`, {
      status: response.status,
      cause: body?.error,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  return body;
}

/** Principal tags as the token service sent them; anything but string values is dropped. */
function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
