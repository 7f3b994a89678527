import type { Context, Hono } from 'hono';
import { cdnObjectPath, cdnObjectUrl } from '../../app/library/cdn-address.ts';
import { contentDisposition } from '../../app/library/content-disposition.ts';
import type { CognitoTokenIssuer } from '../cognito/cognito-token-issuer.ts';
import type { CdnCookies, CdnSigner } from '../delivery/cdn-signer.ts';
import { PrivateKeyUnavailableError } from '../delivery/cdn-signer.ts';
import type { DeliveryLocations } from '../delivery/delivery-locations.ts';
import { DEFAULT_LINK_SECONDS } from '../delivery/delivery-options.ts';
import type { LinkCaller, ReadAccessPolicy } from '../delivery/read-access-policy.ts';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { DeliveryNotConfiguredError, InvalidRequestError, LinkDeniedError, UpstreamUnavailableError } from '../http/token-service-errors.ts';
import { limitBody, readJsonBody } from '../http/token-service-request-body.ts';
import { principalTagsFromClaims, type ClaimToTagMap } from '../tokens/principal-tags.ts';
import type { TokenCache } from '../tokens/token-cache.ts';
import type { SessionGate } from './session-gate.ts';

/** Longer names are not file names any browser keeps. */
const MAX_FILE_NAME_LENGTH = 255;
const MAX_FIELD_LENGTH = 2048;

/** Everything the link routes need once delivery is configured. */
export interface ConfiguredDelivery {
  cdnUrl: string;
  signer: CdnSigner;
  locations: DeliveryLocations;
  /** The access rules compiled for the authenticated role, built once on first use. */
  readAccess: ReadAccessPolicy;
  maxLinkSeconds: number;
  cookieDomain: string | undefined;
}

interface LinkRoutesDependencies {
  delivery: ConfiguredDelivery | undefined;
  authenticateSession: SessionGate;
  issuer: CognitoTokenIssuer;
  cache: TokenCache;
  claimToTag: ClaimToTagMap;
  maxBodyBytes: number;
  clock: () => number;
}

/** `POST /v1/links` (one signed CDN URL) and `POST /v1/links/cookies` (signed cookies per readable location), docs/delivery.md. */
export function mountLinkRoutes(app: Hono<TokenServiceEnv>, dependencies: LinkRoutesDependencies): void {
  const { delivery, clock } = dependencies;

  app.post('/v1/links', limitBody(dependencies.maxBodyBytes), async (c) => {
    if (!delivery) throw new DeliveryNotConfiguredError('This deployment has no CDN; links are available with delivery turned on.');
    const caller = await callerOf(c, dependencies);
    const request = linkRequestOf(await readJsonBody(c.req.raw), delivery.maxLinkSeconds);
    const fullKey = delivery.locations.fullKey(request.location, request.key, caller);
    const decision = delivery.readAccess.decide(caller, fullKey);
    if (!decision.allowed) throw new LinkDeniedError(`Your credentials may not read this key: ${decision.explanation}`);
    const expiresAtSeconds = Math.floor(clock() / 1000) + request.expiresInSeconds;
    const disposition = request.disposition === undefined ? '' : `?response-content-disposition=${encodeURIComponent(contentDisposition(request.disposition, request.fileName))}`;
    const url = await signing(() => delivery.signer.signUrl(cdnObjectUrl(delivery.cdnUrl, fullKey) + disposition, expiresAtSeconds));
    return c.json({ url, expiresAt: new Date(expiresAtSeconds * 1000).toISOString() }, 200, { 'cache-control': 'no-store' });
  });

  app.post('/v1/links/cookies', limitBody(dependencies.maxBodyBytes), async (c) => {
    if (!delivery) throw new DeliveryNotConfiguredError('This deployment has no CDN; cookies are available with delivery turned on.');
    const caller = await callerOf(c, dependencies);
    const expiresInSeconds = cookieRequestOf(await readJsonBody(c.req.raw), delivery.maxLinkSeconds);
    const expiresAtSeconds = Math.floor(clock() / 1000) + expiresInSeconds;
    const granted = new Set<string>();
    const cookieSets: Array<{ location: string; path: string; resource: string; cookies: CdnCookies }> = [];
    const readAccess = delivery.readAccess;
    for (const scope of delivery.locations.cookieScopes(caller)) {
      if (granted.has(scope.location) || !readAccess.decide(caller, scope.probeKey).allowed) continue;
      granted.add(scope.location);
      const resource = `${delivery.cdnUrl}/${scope.keyPatternPieces.map(cdnObjectPath).join('*')}*`;
      const cookies = await signing(() => delivery.signer.signCookies(resource, expiresAtSeconds));
      cookieSets.push({ location: scope.location, path: `/${cdnObjectPath(scope.pathPrefix)}`, resource, cookies });
    }
    const expires = new Date(expiresAtSeconds * 1000);
    for (const { path, cookies } of cookieSets) {
      for (const [name, value] of Object.entries(cookies)) c.header('set-cookie', setCookie(name, value, path, expires, delivery.cookieDomain), { append: true });
    }
    return c.json({ expiresAt: expires.toISOString(), cookieSets }, 200, { 'cache-control': 'no-store' });
  });
}

/** The signed-in caller with its identity (found or created as `POST /v1/token` does, through the same cache) and tags. */
async function callerOf(c: Context<TokenServiceEnv>, dependencies: LinkRoutesDependencies): Promise<LinkCaller> {
  const session = await dependencies.authenticateSession(c);
  const principalTags = principalTagsFromClaims(session.claims, dependencies.claimToTag);
  const issued = await dependencies.cache.getOrLoad(session.userId, principalTags, () => dependencies.issuer.issueToken(session.userId, principalTags));
  return { userId: session.userId, identityId: issued.identityId, principalTags };
}

async function signing<T>(sign: () => Promise<T>): Promise<T> {
  try {
    return await sign();
  } catch (error) {
    if (error instanceof PrivateKeyUnavailableError) throw new UpstreamUnavailableError('The CDN signing key is not available right now; try again shortly.', 5, { cause: error.cause });
    throw error;
  }
}

function setCookie(name: string, value: string, path: string, expires: Date, domain: string | undefined): string {
  return `${name}=${value}; Path=${path}; Expires=${expires.toUTCString()}; HttpOnly; Secure; SameSite=Lax${domain === undefined ? '' : `; Domain=${domain}`}`;
}

interface LinkRequest {
  location: string;
  key: string;
  expiresInSeconds: number;
  disposition?: 'inline' | 'attachment';
  fileName?: string;
}

const LINK_FIELDS = ['location', 'key', 'expiresInSeconds', 'disposition', 'fileName'];

function linkRequestOf(body: unknown, maxSeconds: number): LinkRequest {
  const fields = objectBody(body, LINK_FIELDS, 'Send {"location": "<location name>", "key": "<key in the location>"} (optionally "expiresInSeconds", "disposition", "fileName").');
  const location = requiredString(fields, 'location');
  const key = requiredString(fields, 'key');
  const expiresInSeconds = lifetimeOf(fields.expiresInSeconds, maxSeconds);
  const { disposition, fileName } = fields;
  if (disposition !== undefined && disposition !== 'inline' && disposition !== 'attachment') throw new InvalidRequestError('"disposition" must be "inline" or "attachment".');
  if (fileName !== undefined) {
    // Bidirectional controls would let a saved name read backwards (`invoice\u202Etxt.exe`), as the page escapes them too.
    // eslint-disable-next-line no-control-regex
    if (typeof fileName !== 'string' || fileName.length === 0 || fileName.length > MAX_FILE_NAME_LENGTH || /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(fileName)) {
      throw new InvalidRequestError(`"fileName" must be a name of 1 to ${MAX_FILE_NAME_LENGTH} characters without control or bidirectional control characters.`);
    }
  }
  return {
    location,
    key,
    expiresInSeconds,
    // A file name alone means a download under that name.
    ...(disposition !== undefined || fileName !== undefined ? { disposition: (disposition as LinkRequest['disposition']) ?? 'attachment' } : {}),
    ...(fileName === undefined ? {} : { fileName: fileName as string }),
  };
}

function cookieRequestOf(body: unknown, maxSeconds: number): number {
  if (body === undefined) return Math.min(DEFAULT_LINK_SECONDS, maxSeconds);
  const fields = objectBody(body, ['expiresInSeconds'], 'Send {} or {"expiresInSeconds": <seconds>}.');
  return lifetimeOf(fields.expiresInSeconds, maxSeconds);
}

function objectBody(body: unknown, names: readonly string[], usage: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError(`The request body must be a JSON object. ${usage}`);
  for (const name of Object.keys(body)) {
    if (!names.includes(name)) throw new InvalidRequestError(`Unknown field "${printable(name)}"; the body may contain ${names.map((known) => `"${known}"`).join(', ')}.`);
  }
  return body as Record<string, unknown>;
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string') throw new InvalidRequestError(`"${name}" is required and must be a string.`);
  if (value.length > MAX_FIELD_LENGTH) throw new InvalidRequestError(`"${name}" is too long.`);
  return value;
}

function lifetimeOf(value: unknown, maxSeconds: number): number {
  if (value === undefined) return Math.min(DEFAULT_LINK_SECONDS, maxSeconds);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxSeconds) {
    throw new InvalidRequestError(`"expiresInSeconds" must be a whole number of seconds from 1 to ${maxSeconds}.`);
  }
  return value;
}

function printable(text: string): string {
  const shown = text.replace(/[^\x20-\x7e]/g, '?');
  return shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
}
