import type { AddressInfo } from 'node:net';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { serve } from '@hono/node-server';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { ALLOWED_HOSTS_VARIABLE, createHostCheck, FORBIDDEN_HOST_MESSAGE, parseAllowedHosts } from '../../app/web/loopback-host-check.ts';
import { createTokenServiceApp, type TokenServiceAppOptions } from '../app.ts';
import type { Authenticator } from '../authenticators/authenticator.ts';
import { createConfiguredAuthenticator } from '../authenticators/configured-authenticator.ts';
import { createDevelopmentAuthenticator } from '../authenticators/development-authenticator.ts';
import { appOptionsFromConfig, readTokenServiceConfig, type TokenServiceConfig } from '../config.ts';
import { errorResponse, TokenServiceError } from '../http/token-service-errors.ts';
import { createAdminSecretAuthorizer } from '../routes/admin-authorization.ts';
import { secretsManagerSecretSource } from './secrets-manager-secret-source.ts';

export interface TokenServiceServerOptions extends TokenServiceAppOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** Host names answered besides localhost, 127.0.0.1 and [::1] (DNS-rebinding guard). @default none */
  allowedHosts?: readonly string[];
}

/**
 * Requests here are small (bodies of at most 16 KiB): one that has not arrived whole in 10 s is a
 * stalled or slow-drip client, answered 408 and closed (Node checks every second) instead of
 * holding a connection for Node's default 5 minutes.
 */
const REQUEST_TIMEOUTS = { requestTimeout: 10_000, headersTimeout: 10_000, connectionsCheckingInterval: 1_000 };

/** The Host header names no allowed host; only the Node server checks (API Gateway owns the Lambda's names). */
export class ForbiddenHostError extends TokenServiceError {
  readonly status = 403;
  readonly code = 'forbidden_host';
}

export interface RunningTokenService {
  /** e.g. `http://127.0.0.1:8787`, without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** Serves the token service app on a local HTTP port. */
export async function startTokenServiceServer(options: TokenServiceServerOptions): Promise<RunningTokenService> {
  const { port = 0, host = '127.0.0.1', allowedHosts, ...appOptions } = options;
  const app = createTokenServiceApp(appOptions);
  const isAllowedHost = createHostCheck(allowedHosts);
  const fetch: typeof app.fetch = (request, ...rest) => {
    // The adapter builds the URL from an absolute-form request target when there is one, so its host must pass too.
    if (isAllowedHost(request.headers.get('host') ?? undefined, request.url)) return app.fetch(request, ...rest);
    const { status, headers, body } = errorResponse(new ForbiddenHostError(FORBIDDEN_HOST_MESSAGE));
    return new Response(JSON.stringify(body), { status, headers });
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch, port, hostname: host, serverOptions: REQUEST_TIMEOUTS }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

/** Server options from `TOKEN_SERVICE_*` variables (and `LOCAL_ALLOWED_HOSTS`); Cognito credentials come from the default AWS chain (e.g. AWS_ACCESS_KEY_ID). */
export function tokenServiceServerOptionsFromEnvironment(environment: Readonly<Record<string, string | undefined>> = process.env): TokenServiceServerOptions {
  const config = readTokenServiceConfig(environment);
  return {
    ...appOptionsFromConfig(config, (secretArn) => secretsManagerSecretSource({ secretArn })),
    port: config.port,
    host: config.host,
    allowedHosts: parseAllowedHosts(environment[ALLOWED_HOSTS_VARIABLE]),
    cognito: new CognitoIdentityClient({ region: config.region, endpoint: config.cognitoEndpoint }),
    authenticator: localAuthenticator(config, environment),
    ...(config.adminSecret === undefined ? {} : { authorizeAdmin: createAdminSecretAuthorizer(config.adminSecret) }),
  };
}

function localAuthenticator(config: TokenServiceConfig, environment: Readonly<Record<string, string | undefined>>): Authenticator {
  const settings = config.authenticator;
  if (settings.kind !== 'development') return createConfiguredAuthenticator(settings, (secretArn) => secretsManagerSecretSource({ secretArn }));
  return createDevelopmentAuthenticator({
    environment,
    ...(settings.secret === undefined ? {} : { secret: new TextEncoder().encode(settings.secret) }),
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  refuseUnsupportedNode();
  const running = await startTokenServiceServer(tokenServiceServerOptionsFromEnvironment());
  process.stderr.write(`token service listening on ${running.url}\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
