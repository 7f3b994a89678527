import { StorageError } from './storage-errors.ts';

/** What the token service hands out: a Cognito OpenID token for the caller's identity. */
export interface IdentityToken {
  identityId: string;
  token: string;
  /** When the OpenID token stops being accepted by Cognito. */
  expiresAt: Date;
}

export type SessionTokenSource = () => string | Promise<string>;

/** Asks the token service for an OpenID token, authenticated with the app session. */
export async function requestIdentityToken(tokenServiceUrl: string, getSessionToken: SessionTokenSource, fetchImplementation: typeof fetch = fetch): Promise<IdentityToken> {
  const sessionToken = await getSessionToken();
  if (!sessionToken) throw new StorageError('SignInRequired', 'Not signed in: no app session token to ask the token service with.');
  let response: Response;
  try {
    response = await fetchImplementation(`${tokenServiceUrl}/v1/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sessionToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
  } catch (error) {
    throw new StorageError('Network', `Could not reach the token service at ${tokenServiceUrl}.`, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as { identityId?: unknown; token?: unknown; expiresAt?: unknown; error?: { code?: string; message?: string } } | undefined;
  if (!response.ok) {
    const message = body?.error?.message ?? `HTTP ${response.status}`;
    const code = response.status === 401 ? 'SignInRequired' : response.status === 429 ? 'RateLimited' : response.status === 403 ? 'AccessDenied' : 'ServiceError';
    throw new StorageError(code, `The token service refused: ${message}`, { status: response.status, cause: body?.error });
  }
  if (typeof body?.identityId !== 'string' || typeof body.token !== 'string' || typeof body.expiresAt !== 'string') {
    throw new StorageError('ServiceError', 'The token service answered without identityId, token and expiresAt.');
  }
  return { identityId: body.identityId, token: body.token, expiresAt: new Date(body.expiresAt) };
}
