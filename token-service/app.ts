import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import type { Authenticator } from './authenticators/authenticator.ts';
import { withVerifiedSessionCache } from './authenticators/verified-session-cache.ts';
import { CognitoTokenIssuer } from './cognito/cognito-token-issuer.ts';
import { createGuestLinkProofVerifier } from './cognito/guest-link-proof.ts';
import { configureDelivery } from './delivery/configure-delivery.ts';
import type { DeliveryOptions } from './delivery/delivery-options.ts';
import { logHashKeySource } from './http/log-hash-key.ts';
import { TokenBucketRateLimiter, type RateLimit } from './http/rate-limiter.ts';
import { requestLog, stdoutLogSink, type LogSink } from './http/request-log.ts';
import type { TokenServiceEnv } from './http/token-service-env.ts';
import { errorResponse, failureDetail, MethodNotAllowedError, NotFoundError } from './http/token-service-errors.ts';
import { DEFAULT_MAX_BODY_BYTES } from './http/token-service-request-body.ts';
import { denyAllAdmins, type AdminAuthorizer } from './routes/admin-authorization.ts';
import { mountAdminRoutes } from './routes/admin-routes.ts';
import { mountHealthRoute } from './routes/health-route.ts';
import { mountLinkRoutes } from './routes/link-routes.ts';
import { DEFAULT_IDENTITY_LOOKUP_ACCESS, IDENTITY_LOOKUP_ACCESS, mountIdentityLookupRoute, type IdentityLookupAccess } from './routes/identity-lookup-route.ts';
import { sessionGate } from './routes/session-gate.ts';
import { mountTokenRoutes } from './routes/token-routes.ts';
import { DEFAULT_CLAIM_TO_TAG, validateClaimToTagMap, type ClaimToTagMap } from './tokens/principal-tags.ts';
import { TokenCache } from './tokens/token-cache.ts';

export interface TokenServiceAppOptions {
  /** Cognito Identity, with credentials allowed to call the developer-identity APIs of the pool. */
  cognito: CognitoIdentityClient;
  identityPoolId: string;
  developerProviderName: string;
  /** Lifetime of the OpenID tokens asked for (Cognito allows 1..86400). @default 900 */
  tokenDurationSeconds?: number;
  /** Verifies app sessions. Routes it brings along (the development sign-in's) are mounted too. */
  authenticator: Authenticator;
  /** Which session claims become principal tags. @default { tenant: 'tenant' } */
  claimToTag?: ClaimToTagMap;
  /** Guest identities' OpenID tokens are verified against this key set and issuer before linking. */
  guestTokenJwksUrl?: string;
  guestTokenIssuer?: string;
  /** Browser origins allowed to call the API. @default none */
  allowedOrigins?: readonly string[];
  /** Cached tokens are reused while valid for longer than this. @default 300 */
  cacheRefreshMarginSeconds?: number;
  /** @default 10000 */
  cacheMaxEntries?: number;
  /** Per user. @default 10/s with bursts of 20 */
  rateLimit?: RateLimit;
  /**
   * Who may look up an app user's identity id (`POST /v1/identities/lookup`): any signed-in
   * session, or nobody (`off` answers 403 lookup_disabled). @default 'signed-in'
   */
  identityLookup?: IdentityLookupAccess;
  /** Who may use the admin routes. @default nobody */
  authorizeAdmin?: AdminAuthorizer;
  /** @default 16 KiB */
  maxBodyBytes?: number;
  /** @default one JSON line per request on stdout */
  logSink?: LogSink;
  /**
   * Keys the user hashes of the log lines. @default a key derived from the authenticator's secret
   * (HMAC, development), else a random key per process (hashes then differ across restarts and instances)
   */
  logHashSecret?: string;
  /**
   * How long a session token that verified is trusted again without a new signature check (never
   * past its `exp`); also how long a key dropped from the issuer's key set keeps working. 0 turns
   * it off. @default 60
   */
  verifiedSessionCacheSeconds?: number;
  /** CDN links and cookies (`POST /v1/links`, `POST /v1/links/cookies`). @default none: both answer 404 delivery_not_configured */
  delivery?: DeliveryOptions;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
}

export const DEFAULT_TOKEN_DURATION_SECONDS = 900;
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSecond: 10, burst: 20 };
export const DEFAULT_VERIFIED_SESSION_CACHE_SECONDS = 60;
const COOKIES_PATH = '/v1/links/cookies';

/** The token service as one Hono app; `adapters/node-server.ts` and `adapters/lambda-handler.ts` serve this same app. */
export function createTokenServiceApp(options: TokenServiceAppOptions): Hono<TokenServiceEnv> {
  const clock = options.clock ?? Date.now;
  const claimToTag = options.claimToTag ?? DEFAULT_CLAIM_TO_TAG;
  validateClaimToTagMap(claimToTag);
  const tokenDurationSeconds = options.tokenDurationSeconds ?? DEFAULT_TOKEN_DURATION_SECONDS;
  if (!Number.isInteger(tokenDurationSeconds) || tokenDurationSeconds < 1 || tokenDurationSeconds > 86_400) {
    throw new Error(`The token duration must be a whole number of seconds from 1 to 86400 (got ${tokenDurationSeconds}).`);
  }
  const issuer = new CognitoTokenIssuer({
    client: options.cognito,
    identityPoolId: options.identityPoolId,
    developerProviderName: options.developerProviderName,
    tokenDurationSeconds,
    clock,
  });
  const cache = new TokenCache({ refreshMarginMs: (options.cacheRefreshMarginSeconds ?? 300) * 1000, maxEntries: options.cacheMaxEntries ?? 10_000, clock });
  const rateLimiter = new TokenBucketRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, { clock });
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const verifiedSessionCacheSeconds = options.verifiedSessionCacheSeconds ?? DEFAULT_VERIFIED_SESSION_CACHE_SECONDS;
  if (!(verifiedSessionCacheSeconds >= 0 && verifiedSessionCacheSeconds <= 3600)) {
    throw new Error(`The verified-session cache lifetime must be 0 to 3600 seconds (got ${verifiedSessionCacheSeconds}).`);
  }
  const identityLookup = options.identityLookup ?? DEFAULT_IDENTITY_LOOKUP_ACCESS;
  if (!IDENTITY_LOOKUP_ACCESS.includes(identityLookup)) {
    throw new Error(`The identity lookup must be ${IDENTITY_LOOKUP_ACCESS.join(' or ')} (got ${JSON.stringify(identityLookup)}).`);
  }
  const delivery = options.delivery && configureDelivery(options.delivery, { identityPoolId: options.identityPoolId, developerProviderName: options.developerProviderName });
  const authenticator = withVerifiedSessionCache(options.authenticator, { ttlMs: verifiedSessionCacheSeconds * 1000, maxEntries: options.cacheMaxEntries ?? 10_000, clock });

  const app = new Hono<TokenServiceEnv>();
  app.use(requestLog(options.logSink ?? stdoutLogSink, logHashKeySource(options.logHashSecret, options.authenticator), clock));
  const crossOriginOptions = {
    origin: (origin: string) => (allowedOrigins.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE'],
    allowHeaders: ['authorization', 'content-type'],
    maxAge: 3600,
  };
  const allowCrossOrigin = cors(crossOriginOptions);
  // The page fetches the CDN cookies with credentials: 'include', so their Set-Cookie headers are kept.
  const allowCrossOriginWithCredentials = cors({ ...crossOriginOptions, credentials: true });
  // Apps and servers send no Origin; only browsers need the CORS answer (its headers cost a Response copy).
  app.use((c, next) => (c.req.header('origin') === undefined ? next() : c.req.path === COOKIES_PATH ? allowCrossOriginWithCredentials(c, next) : allowCrossOrigin(c, next)));
  // A known path with another method: 405 with `Allow`, the methods worked out from the routes registered below.
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => renderError(c, new MethodNotAllowedError(`${c.req.method} is not supported here; use ${methods.join(' or ')}.`, methods)),
    }),
  );
  app.onError((error, c) => renderError(c, error));
  app.notFound((c) => renderError(c, new NotFoundError(`There is nothing at ${c.req.method} ${c.req.path.slice(0, 100)}.`)));

  const authenticateSession = sessionGate(authenticator, rateLimiter);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  mountHealthRoute(app);
  mountTokenRoutes(app, {
    authenticateSession,
    issuer,
    cache,
    claimToTag,
    verifyGuestLinkProof: createGuestLinkProofVerifier({
      identityPoolId: options.identityPoolId,
      jwksUrl: options.guestTokenJwksUrl,
      issuer: options.guestTokenIssuer,
    }),
    maxBodyBytes,
  });
  mountIdentityLookupRoute(app, { access: identityLookup, authenticateSession, issuer, maxBodyBytes });
  mountLinkRoutes(app, { delivery, authenticateSession, issuer, cache, claimToTag, maxBodyBytes, clock });
  mountAdminRoutes(app, { authorizeAdmin: options.authorizeAdmin ?? denyAllAdmins, issuer });
  if (options.authenticator.routes) app.route('/', options.authenticator.routes);
  return app;
}

function renderError(c: Context<TokenServiceEnv>, error: unknown): Response {
  const { status, headers, body } = errorResponse(error);
  c.set('errorCode', body.error.code);
  if (status >= 500) c.set('failureDetail', failureDetail(error));
  return c.json(body, status as 500, headers);
}
