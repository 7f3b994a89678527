import { DEFAULT_RATE_LIMIT, DEFAULT_TOKEN_DURATION_SECONDS, DEFAULT_VERIFIED_SESSION_CACHE_SECONDS, type TokenServiceAppOptions } from './app.ts';
import type { SecretSource } from './authenticators/hmac-authenticator.ts';
import { DEFAULT_OIDC_ALGORITHMS } from './authenticators/oidc-authenticator.ts';
import { deliveryOptionsFromSettings, readDeliverySettings, type DeliverySettings } from './delivery/delivery-settings.ts';
import type { RateLimit } from './http/rate-limiter.ts';
import { DEFAULT_IDENTITY_LOOKUP_ACCESS, IDENTITY_LOOKUP_ACCESS, type IdentityLookupAccess } from './routes/identity-lookup-route.ts';
import { DEFAULT_CLAIM_TO_TAG, type ClaimToTagMap } from './tokens/principal-tags.ts';

type Environment = Readonly<Record<string, string | undefined>>;

/** As for the HMAC session secret: a shorter key could be guessed along with the user ids. */
const MIN_LOG_HASH_SECRET_BYTES = 32;

export type AuthenticatorSettings =
  | { kind: 'oidc'; issuer: string; audience: string; jwksUrl: string; algorithms: string[]; clockToleranceSeconds: number; userIdClaim: string }
  | {
      kind: 'hmac';
      /** The secret itself (local runs). */
      secret?: string;
      /** Secrets Manager ARN of the secret (the stack). */
      secretArn?: string;
      /** Expected `iss`; the developer provider name unless configured. */
      issuer: string;
      /** Expected `aud`; the identity pool id unless configured. */
      audience: string;
      clockToleranceSeconds: number;
      userIdClaim: string;
    }
  | { kind: 'development'; secret?: string };

/** Everything `TOKEN_SERVICE_*` configures; README.md lists the variables (The token service, Environment variables). */
export interface TokenServiceConfig {
  identityPoolId: string;
  region: string;
  developerProviderName: string;
  tokenDurationSeconds: number;
  authenticator: AuthenticatorSettings;
  claimToTag: ClaimToTagMap;
  allowedOrigins: string[];
  cacheRefreshMarginSeconds: number;
  cacheMaxEntries: number;
  verifiedSessionCacheSeconds: number;
  rateLimit: RateLimit;
  /** Who may call `POST /v1/identities/lookup`. */
  identityLookup: IdentityLookupAccess;
  guestTokenJwksUrl?: string;
  guestTokenIssuer?: string;
  /** Cognito Identity endpoint override (the local cloud). */
  cognitoEndpoint?: string;
  /** Bearer secret of the admin routes (local runs). */
  adminSecret?: string;
  /** Keys the user hashes of the request log. */
  logHashSecret?: string;
  /** CDN links and cookies (`TOKEN_SERVICE_CDN_*`, all or none). */
  delivery?: DeliverySettings;
  port: number;
  host: string;
}

export class ConfigurationError extends Error {}

/** Reads and checks the configuration, reporting every problem at once. */
export function readTokenServiceConfig(environment: Environment): TokenServiceConfig {
  const problems: string[] = [];
  const reader = new EnvironmentReader(environment, problems);
  const identityPoolId = reader.required('TOKEN_SERVICE_IDENTITY_POOL_ID', /^[\w-]+:[0-9a-f-]+$/, 'an identity pool id (region:uuid)');
  const developerProviderName = reader.required('TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME', /^[\w.-]{1,128}$/, 'a developer provider name');
  const config: TokenServiceConfig = {
    identityPoolId,
    region: reader.optional('TOKEN_SERVICE_REGION') ?? environment.AWS_REGION ?? identityPoolId.split(':')[0] ?? '',
    developerProviderName,
    tokenDurationSeconds: reader.integer('TOKEN_SERVICE_TOKEN_DURATION_SECONDS', DEFAULT_TOKEN_DURATION_SECONDS, 1, 86_400),
    authenticator: readAuthenticator(reader, { identityPoolId, developerProviderName }),
    claimToTag: reader.map('TOKEN_SERVICE_TAG_CLAIMS') ?? DEFAULT_CLAIM_TO_TAG,
    allowedOrigins: reader.list('TOKEN_SERVICE_ALLOWED_ORIGINS') ?? [],
    cacheRefreshMarginSeconds: reader.integer('TOKEN_SERVICE_CACHE_MARGIN_SECONDS', 300, 0, 86_400),
    cacheMaxEntries: reader.integer('TOKEN_SERVICE_CACHE_MAX_ENTRIES', 10_000, 0, 10_000_000),
    verifiedSessionCacheSeconds: reader.integer('TOKEN_SERVICE_SESSION_CACHE_SECONDS', DEFAULT_VERIFIED_SESSION_CACHE_SECONDS, 0, 3600),
    rateLimit: {
      ratePerSecond: reader.number('TOKEN_SERVICE_RATE_LIMIT_PER_SECOND', DEFAULT_RATE_LIMIT.ratePerSecond),
      burst: reader.integer('TOKEN_SERVICE_RATE_LIMIT_BURST', DEFAULT_RATE_LIMIT.burst, 1, 1_000_000),
    },
    identityLookup: reader.oneOf('TOKEN_SERVICE_IDENTITY_LOOKUP', IDENTITY_LOOKUP_ACCESS, DEFAULT_IDENTITY_LOOKUP_ACCESS, {
      'signed-in': 'any signed-in user may look up one user id at a time',
      off: 'nobody may; the route answers 403 lookup_disabled',
    }),
    guestTokenJwksUrl: reader.url('TOKEN_SERVICE_GUEST_JWKS_URL'),
    guestTokenIssuer: reader.optional('TOKEN_SERVICE_GUEST_TOKEN_ISSUER'),
    cognitoEndpoint: reader.url('TOKEN_SERVICE_COGNITO_ENDPOINT'),
    adminSecret: reader.optional('TOKEN_SERVICE_ADMIN_SECRET'),
    logHashSecret: reader.secret('TOKEN_SERVICE_LOG_HASH_SECRET', MIN_LOG_HASH_SECRET_BYTES),
    delivery: readDeliverySettings(
      (name) => reader.optional(name),
      (message) => reader.problem(message),
    ),
    port: reader.integer('TOKEN_SERVICE_PORT', 8787, 0, 65_535),
    host: reader.optional('TOKEN_SERVICE_HOST') ?? '127.0.0.1',
  };
  if (problems.length > 0) throw new ConfigurationError(`Token service configuration is not usable:\n- ${problems.join('\n- ')}`);
  return config;
}

/**
 * The app options every runtime derives the same way from the configuration; `secretSource` reads
 * the CDN private key when the configuration names its secret (required then).
 */
export function appOptionsFromConfig(config: TokenServiceConfig, secretSource?: (secretArn: string) => SecretSource): Omit<TokenServiceAppOptions, 'cognito' | 'authenticator'> {
  const { delivery } = config;
  if (delivery?.privateKeySecretArn !== undefined && secretSource === undefined) throw new ConfigurationError('TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN needs a way to read secrets here; set TOKEN_SERVICE_CDN_PRIVATE_KEY instead.');
  return {
    ...(delivery === undefined ? {} : { delivery: deliveryOptionsFromSettings(delivery, secretSource ?? unreachableSecretSource) }),
    identityPoolId: config.identityPoolId,
    developerProviderName: config.developerProviderName,
    tokenDurationSeconds: config.tokenDurationSeconds,
    claimToTag: config.claimToTag,
    allowedOrigins: config.allowedOrigins,
    cacheRefreshMarginSeconds: config.cacheRefreshMarginSeconds,
    cacheMaxEntries: config.cacheMaxEntries,
    verifiedSessionCacheSeconds: config.verifiedSessionCacheSeconds,
    rateLimit: config.rateLimit,
    identityLookup: config.identityLookup,
    guestTokenJwksUrl: config.guestTokenJwksUrl,
    guestTokenIssuer: config.guestTokenIssuer,
    logHashSecret: config.logHashSecret,
  };
}

function unreachableSecretSource(): SecretSource {
  throw new ConfigurationError('No secret source was given for the CDN private key.');
}

/**
 * Without `iss`/`aud` checks, any HS256 token signed with the secret for another purpose would be
 * a session; by default the app backend names itself by the developer provider name and the
 * deployment by its identity pool id (both are stack outputs it can read).
 */
function readAuthenticator(reader: EnvironmentReader, deployment: { identityPoolId: string; developerProviderName: string }): AuthenticatorSettings {
  const kind = reader.optional('TOKEN_SERVICE_AUTHENTICATOR') ?? 'hmac';
  const clockToleranceSeconds = reader.integer('TOKEN_SERVICE_CLOCK_TOLERANCE_SECONDS', 30, 0, 300);
  const userIdClaim = reader.optional('TOKEN_SERVICE_USER_ID_CLAIM') ?? 'sub';
  switch (kind) {
    case 'oidc': {
      const issuer = reader.required('TOKEN_SERVICE_OIDC_ISSUER', /^\S+$/, 'the issuer (iss) of the session tokens');
      return {
        kind,
        issuer,
        audience: reader.required('TOKEN_SERVICE_OIDC_AUDIENCE', /^\S+$/, 'the audience (aud) of the session tokens'),
        jwksUrl: reader.url('TOKEN_SERVICE_OIDC_JWKS_URL') ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
        algorithms: reader.list('TOKEN_SERVICE_OIDC_ALGORITHMS') ?? DEFAULT_OIDC_ALGORITHMS,
        clockToleranceSeconds,
        userIdClaim,
      };
    }
    case 'hmac': {
      const secret = reader.optional('TOKEN_SERVICE_HMAC_SECRET');
      const secretArn = reader.optional('TOKEN_SERVICE_HMAC_SECRET_ARN');
      if (secret === undefined && secretArn === undefined) reader.problem('TOKEN_SERVICE_HMAC_SECRET or TOKEN_SERVICE_HMAC_SECRET_ARN is required for the hmac authenticator.');
      return {
        kind,
        secret,
        secretArn,
        issuer: reader.optional('TOKEN_SERVICE_HMAC_ISSUER') ?? deployment.developerProviderName,
        audience: reader.optional('TOKEN_SERVICE_HMAC_AUDIENCE') ?? deployment.identityPoolId,
        clockToleranceSeconds,
        userIdClaim,
      };
    }
    case 'development':
      return { kind, secret: reader.optional('TOKEN_SERVICE_DEV_SESSION_SECRET') };
    default:
      reader.problem(`TOKEN_SERVICE_AUTHENTICATOR must be oidc, hmac or development (got "${kind}").`);
      return { kind: 'development' };
  }
}

class EnvironmentReader {
  constructor(
    private readonly environment: Environment,
    private readonly problems: string[],
  ) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  optional(name: string): string | undefined {
    const value = this.environment[name]?.trim();
    return value === '' ? undefined : value;
  }

  required(name: string, pattern: RegExp, what: string): string {
    const value = this.optional(name);
    if (value === undefined || !pattern.test(value)) {
      this.problem(`${name} must be ${what}${value === undefined ? '' : ` (got "${value}")`}.`);
      return '';
    }
    return value;
  }

  number(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      this.problem(`${name} must be a positive number (got "${value}").`);
      return fallback;
    }
    return parsed;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      this.problem(`${name} must be a whole number from ${min} to ${max} (got "${value}").`);
      return fallback;
    }
    return parsed;
  }

  /** One of `choices`, each explained in the problem reported for any other value. */
  oneOf<Choice extends string>(name: string, choices: readonly Choice[], fallback: Choice, meanings: Record<Choice, string>): Choice {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as Choice;
    this.problem(`${name} must be ${choices.map((choice) => `${choice} (${meanings[choice]})`).join(' or ')} (got "${value}").`);
    return fallback;
  }

  /** A secret of at least `minBytes` bytes (UTF-8). */
  secret(name: string, minBytes: number): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && Buffer.byteLength(value) < minBytes) this.problem(`${name} must be at least ${minBytes} bytes long.`);
    return value;
  }

  url(name: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    if (!URL.canParse(value)) this.problem(`${name} must be a URL (got "${value}").`);
    return value;
  }

  /** Comma-separated. */
  list(name: string): string[] | undefined {
    const value = this.optional(name);
    return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  }

  /** `claim=tag,claim=tag`. */
  map(name: string): Record<string, string> | undefined {
    const items = this.list(name);
    if (items === undefined) return undefined;
    const entries = items.map((item) => item.split('='));
    if (entries.some((entry) => entry.length !== 2 || entry[0] === '' || entry[1] === '')) {
      this.problem(`${name} must look like "claim=tag,claim=tag" (got "${this.optional(name)}").`);
      return undefined;
    }
    return Object.fromEntries(entries);
  }
}
