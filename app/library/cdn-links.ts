import { cdnObjectUrl } from './cdn-address.ts';
import { StorageError } from './storage-errors.ts';
import type { PublishedAccessRule, StorageLocation } from './storage-location.ts';
import { postToTokenService, type SessionTokenSource } from './token-service-client.ts';

export interface CdnLinkOptions {
  /** Seconds the link works for, 1 up to the deployment's maximum (7 days by default). @default 3600 */
  expiresInSeconds?: number;
  /** `attachment` makes browsers download the file (as `fileName`); `inline` shows it. @default as the file's type says */
  disposition?: 'inline' | 'attachment';
  /** The name a download gets; alone it implies `attachment`. */
  fileName?: string;
}

export interface CdnLink {
  url: string;
  expiresAt: Date;
}

/** The signed cookies for one location: send them for `path` on the CDN's domain, and every file matching `resource` opens. */
export interface CdnCookieSet {
  location: string;
  path: string;
  resource: string;
  cookies: Record<string, string>;
}

export interface CdnCookies {
  expiresAt: Date;
  cookieSets: CdnCookieSet[];
}

/** Where the token service and the CDN are, and who asks. */
export interface CdnLinkContext {
  tokenServiceUrl: string;
  cdnUrl: string | undefined;
  getSessionToken: SessionTokenSource | undefined;
  fetch: typeof fetch;
}

/** `POST /v1/links`: a CDN URL for one file, signed by the token service after the access rules allow the caller to read it. */
export async function requestCdnLink(context: CdnLinkContext, location: StorageLocation, key: string, options: CdnLinkOptions = {}): Promise<CdnLink> {
  const getSessionToken = signedInFor(context, 'A CDN link');
  if (options.disposition !== undefined && options.disposition !== 'inline' && options.disposition !== 'attachment') {
    throw new StorageError('InvalidArgument', `disposition must be "inline" or "attachment", got ${JSON.stringify(options.disposition)}.`);
  }
  if (key.includes('*')) {
    throw new StorageError('InvalidKey', `A CDN link cannot name "${key}": CloudFront reads "*" in a signed address as a wildcard, so the link would open every key it matches. Use share() for this file.`);
  }
  const body = (await postToTokenService(context.tokenServiceUrl, '/v1/links', getSessionToken, context.fetch, {
    location: location.name,
    key,
    ...(options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds }),
    ...(options.disposition === undefined ? {} : { disposition: options.disposition }),
    ...(options.fileName === undefined ? {} : { fileName: options.fileName }),
  })) as { url?: unknown; expiresAt?: unknown } | undefined;
  if (typeof body?.url !== 'string' || typeof body.expiresAt !== 'string') throw new StorageError('ServiceError', 'The token service answered the link request without url and expiresAt.');
  return { url: body.url, expiresAt: new Date(body.expiresAt) };
}

/**
 * `POST /v1/links/cookies`: signed cookies for every location the caller may read. Browsers keep
 * the `Set-Cookie` headers (the request is made with `credentials: 'include'`); other clients set
 * the returned cookies themselves.
 */
export async function requestCdnCookies(context: CdnLinkContext, options: { expiresInSeconds?: number } = {}): Promise<CdnCookies> {
  const getSessionToken = signedInFor(context, 'CDN cookies');
  const body = (await postToTokenService(
    context.tokenServiceUrl,
    '/v1/links/cookies',
    getSessionToken,
    context.fetch,
    options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds },
    undefined,
    'include',
  )) as { expiresAt?: unknown; cookieSets?: unknown } | undefined;
  if (typeof body?.expiresAt !== 'string' || !Array.isArray(body.cookieSets)) throw new StorageError('ServiceError', 'The token service answered the cookie request without expiresAt and cookieSets.');
  return { expiresAt: new Date(body.expiresAt), cookieSets: body.cookieSets as CdnCookieSet[] };
}

/**
 * The unsigned CDN address of a file in a location guests may read (the `public` location):
 * anyone can open it, for as long as the file exists. Other locations need `cdnLink`.
 */
export function publicCdnUrl(cdnUrl: string, rules: readonly PublishedAccessRule[], location: StorageLocation, fullKey: string): string {
  const rule = rules.find((candidate) => candidate.name === location.name);
  if (!rule?.grants.guests?.includes('read')) {
    throw new StorageError('InvalidLocation', `The location "${location.name}" is not public (guests may not read it), so its files have no unsigned address; use cdnLink.`);
  }
  return cdnObjectUrl(cdnUrl, fullKey);
}

function signedInFor(context: CdnLinkContext, what: string): SessionTokenSource {
  if (context.cdnUrl === undefined) throw deliveryNotConfigured();
  if (!context.getSessionToken) throw new StorageError('SignInRequired', `${what} needs a signed-in session; guests cannot ask for one.`);
  return context.getSessionToken;
}

export function deliveryNotConfigured(): StorageError {
  return new StorageError('DeliveryNotConfigured', 'This deployment has no CDN (its outputs have no cdnUrl); deploy with delivery turned on.');
}
