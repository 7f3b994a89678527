import type { AuthenticatorSettings } from '../config.ts';
import type { Authenticator } from './authenticator.ts';
import { createHmacAuthenticator, type SecretSource } from './hmac-authenticator.ts';
import { createOidcAuthenticator } from './oidc-authenticator.ts';

type ProductionAuthenticatorSettings = Exclude<AuthenticatorSettings, { kind: 'development' }>;

/** The OIDC or HMAC authenticator the configuration names; `secretFromArn` reads a Secrets Manager secret. */
export function createConfiguredAuthenticator(settings: ProductionAuthenticatorSettings, secretFromArn: (arn: string) => SecretSource): Authenticator {
  if (settings.kind === 'oidc') return createOidcAuthenticator(settings);
  const { secret, secretArn } = settings;
  return createHmacAuthenticator({
    secret: secret !== undefined ? async () => secret : secretFromArn(secretArn!),
    issuer: settings.issuer,
    audience: settings.audience,
    clockToleranceSeconds: settings.clockToleranceSeconds,
    userIdClaim: settings.userIdClaim,
  });
}
