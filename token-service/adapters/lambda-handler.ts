import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { createTokenServiceApp, type TokenServiceAppOptions } from '../app.ts';
import { createConfiguredAuthenticator } from '../authenticators/configured-authenticator.ts';
import type { SecretSource } from '../authenticators/hmac-authenticator.ts';
import { appOptionsFromConfig, ConfigurationError, readTokenServiceConfig } from '../config.ts';
import { apiGatewayIamAuthorizer } from '../routes/admin-authorization.ts';
import { secretsManagerSecretSource } from './secrets-manager-secret-source.ts';

/** API Gateway HTTP API's payload format 2.0. */
export type ApiGatewayV2Event = Extract<LambdaEvent, { rawPath: string }>;
export type LambdaHandler = (event: ApiGatewayV2Event, context?: LambdaContext) => Promise<APIGatewayProxyResult>;

/**
 * The token service behind API Gateway (HTTP API, payload v2). The development sign-in is not
 * imported here, so no configuration can switch it on in the deployed function; the admin route
 * trusts API Gateway's IAM authorization.
 */
export function createLambdaHandler(
  environment: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Pick<TokenServiceAppOptions, 'cognito' | 'logSink' | 'clock'>> & { secretSource?: (secretArn: string) => SecretSource } = {},
): LambdaHandler {
  const config = readTokenServiceConfig(environment);
  if (config.authenticator.kind === 'development') {
    throw new ConfigurationError('The development sign-in is not part of the Lambda build; use TOKEN_SERVICE_AUTHENTICATOR=oidc or hmac.');
  }
  const readSecret = overrides.secretSource ?? ((secretArn: string) => secretsManagerSecretSource({ secretArn }));
  const app = createTokenServiceApp({
    ...appOptionsFromConfig(config, readSecret),
    cognito: overrides.cognito ?? new CognitoIdentityClient({ region: config.region, endpoint: config.cognitoEndpoint }),
    authenticator: createConfiguredAuthenticator(config.authenticator, readSecret),
    authorizeAdmin: apiGatewayIamAuthorizer,
    logSink: overrides.logSink,
    clock: overrides.clock,
  });
  return handle(app) as LambdaHandler;
}

let configuredHandler: LambdaHandler | undefined;

/** Built on the first invocation, so importing this module has no side effects. */
export const handler: LambdaHandler = (event, context) => {
  configuredHandler ??= createLambdaHandler(process.env);
  return configuredHandler(event, context);
};
