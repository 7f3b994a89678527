import { describe, expect, it } from 'vitest';
import { appOptionsFromConfig, ConfigurationError, readTokenServiceConfig } from '../../../token-service/config.ts';

const BASE = {
  TOKEN_SERVICE_IDENTITY_POOL_ID: 'eu-west-1:0f0f0f0f-1111-4222-8333-444455556666',
  TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: 'login.example.app',
  TOKEN_SERVICE_HMAC_SECRET: 'x'.repeat(40),
};

describe('readTokenServiceConfig', () => {
  it('applies the defaults', () => {
    const config = readTokenServiceConfig(BASE);
    expect(config).toMatchObject({
      region: 'eu-west-1',
      tokenDurationSeconds: 900,
      claimToTag: { tenant: 'tenant' },
      allowedOrigins: [],
      cacheRefreshMarginSeconds: 300,
      rateLimit: { ratePerSecond: 10, burst: 20 },
      identityLookup: 'signed-in',
      port: 8787,
      host: '127.0.0.1',
      authenticator: { kind: 'hmac', secret: 'x'.repeat(40), clockToleranceSeconds: 30, userIdClaim: 'sub' },
    });
  });

  it('checks iss and aud of HMAC sessions by default: the developer provider name and the identity pool id', () => {
    expect(readTokenServiceConfig(BASE).authenticator).toMatchObject({ kind: 'hmac', issuer: 'login.example.app', audience: BASE.TOKEN_SERVICE_IDENTITY_POOL_ID });
    const explicit = readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_HMAC_ISSUER: 'https://backend.example.app', TOKEN_SERVICE_HMAC_AUDIENCE: 'photos' });
    expect(explicit.authenticator).toMatchObject({ kind: 'hmac', issuer: 'https://backend.example.app', audience: 'photos' });
  });

  it('reads the stack variables for OIDC', () => {
    const config = readTokenServiceConfig({
      ...BASE,
      AWS_REGION: 'eu-central-1',
      TOKEN_SERVICE_AUTHENTICATOR: 'oidc',
      TOKEN_SERVICE_OIDC_ISSUER: 'https://login.example.app/',
      TOKEN_SERVICE_OIDC_AUDIENCE: 'app',
      TOKEN_SERVICE_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      TOKEN_SERVICE_TAG_CLAIMS: 'tenant=tenant,dept=department',
      TOKEN_SERVICE_RATE_LIMIT_PER_SECOND: '2.5',
    });
    expect(config.region).toBe('eu-central-1');
    expect(config.authenticator).toEqual({
      kind: 'oidc',
      issuer: 'https://login.example.app/',
      audience: 'app',
      jwksUrl: 'https://login.example.app/.well-known/jwks.json',
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 30,
      userIdClaim: 'sub',
    });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.claimToTag).toEqual({ tenant: 'tenant', dept: 'department' });
    expect(config.rateLimit.ratePerSecond).toBe(2.5);
  });

  it('reads the log hash secret, at least 32 bytes', () => {
    expect(readTokenServiceConfig(BASE).logHashSecret).toBeUndefined();
    expect(readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_LOG_HASH_SECRET: 'k'.repeat(32) }).logHashSecret).toBe('k'.repeat(32));
    expect(() => readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_LOG_HASH_SECRET: 'short' })).toThrow(/TOKEN_SERVICE_LOG_HASH_SECRET must be at least 32 bytes/);
  });

  it('reads TOKEN_SERVICE_IDENTITY_LOOKUP, signed-in or off, into the app options, and explains both for any other value', () => {
    expect(readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_IDENTITY_LOOKUP: 'signed-in' }).identityLookup).toBe('signed-in');
    expect(readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_IDENTITY_LOOKUP: ' off ' }).identityLookup).toBe('off');
    expect(readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_IDENTITY_LOOKUP: '' }).identityLookup).toBe('signed-in');
    expect(appOptionsFromConfig(readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_IDENTITY_LOOKUP: 'off' })).identityLookup).toBe('off');
    for (const value of ['on', 'OFF', 'everyone', 'admin', 'true', 'signed_in']) {
      expect(() => readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_IDENTITY_LOOKUP: value })).toThrow(
        `TOKEN_SERVICE_IDENTITY_LOOKUP must be signed-in (any signed-in user may look up one user id at a time) or off (nobody may; the route answers 403 lookup_disabled) (got "${value}").`,
      );
    }
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      readTokenServiceConfig({
        TOKEN_SERVICE_TOKEN_DURATION_SECONDS: '90000',
        TOKEN_SERVICE_AUTHENTICATOR: 'hmac',
        TOKEN_SERVICE_TAG_CLAIMS: 'tenant',
        TOKEN_SERVICE_COGNITO_ENDPOINT: 'not a url',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    for (const name of ['TOKEN_SERVICE_IDENTITY_POOL_ID', 'TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME', 'TOKEN_SERVICE_TOKEN_DURATION_SECONDS', 'TOKEN_SERVICE_HMAC_SECRET', 'TOKEN_SERVICE_TAG_CLAIMS', 'TOKEN_SERVICE_COGNITO_ENDPOINT']) {
      expect(message).toContain(name);
    }
    expect(() => readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_AUTHENTICATOR: 'none' })).toThrow(/oidc, hmac or development/);
  });
});
