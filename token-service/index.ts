// The token service as a package (`scoped-s3-storage/token-service`): the Hono app to mount in a
// backend, the authenticators it verifies app sessions with, the Lambda handler the stack deploys
// and the Node server of local mode.
export { createTokenServiceApp, DEFAULT_TOKEN_DURATION_SECONDS, DEFAULT_RATE_LIMIT, DEFAULT_VERIFIED_SESSION_CACHE_SECONDS, type TokenServiceAppOptions } from './app.ts';
export type { TokenServiceEnv } from './http/token-service-env.ts';
export { DEFAULT_MAX_LINK_SECONDS, type DeliveryOptions } from './delivery/delivery-options.ts';
export { isValidUserId, USER_ID_RULE, type Authenticator, type AuthenticatedSession } from './authenticators/authenticator.ts';
export { createHmacAuthenticator, type HmacAuthenticatorOptions, type SecretSource } from './authenticators/hmac-authenticator.ts';
export { createOidcAuthenticator, DEFAULT_OIDC_ALGORITHMS, type OidcAuthenticatorOptions } from './authenticators/oidc-authenticator.ts';
export { createDevelopmentAuthenticator, type DevelopmentAuthenticatorOptions } from './authenticators/development-authenticator.ts';
export { secretsManagerSecretSource, type SecretsManagerSecretOptions } from './adapters/secrets-manager-secret-source.ts';
export { apiGatewayIamAuthorizer, createAdminSecretAuthorizer, denyAllAdmins, type AdminAuthorizer } from './routes/admin-authorization.ts';
export { TokenServiceError, UnauthenticatedError, UpstreamUnavailableError } from './http/token-service-errors.ts';
export type { LogSink } from './http/request-log.ts';
export type { ClaimToTagMap } from './tokens/principal-tags.ts';
export type { RateLimit } from './http/rate-limiter.ts';
export type { IdentityLookupAccess } from './routes/identity-lookup-route.ts';
export { ConfigurationError, readTokenServiceConfig, appOptionsFromConfig, type TokenServiceConfig } from './config.ts';
export { createLambdaHandler, handler, type ApiGatewayV2Event, type LambdaHandler } from './adapters/lambda-handler.ts';
export { startTokenServiceServer, tokenServiceServerOptionsFromEnvironment, ForbiddenHostError, type TokenServiceServerOptions, type RunningTokenService } from './adapters/node-server.ts';
