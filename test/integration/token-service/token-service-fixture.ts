import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityClient, GetIdCommand, GetOpenIdTokenCommand } from '@aws-sdk/client-cognito-identity';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { createCognitoIdentityRequestHandler, type CognitoIdentityHandlerOptions } from '../../../infra/local/cognito/routes.ts';
import type { IdentityPool } from '../../../infra/local/cognito/model/identity-pool.ts';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';
import { startTokenServiceServer, type RunningTokenService, type TokenServiceServerOptions } from '../../../token-service/adapters/node-server.ts';
import { createOidcAuthenticator } from '../../../token-service/authenticators/oidc-authenticator.ts';

export const REGION = 'us-east-1';
export const POOL: IdentityPool = {
  identityPoolId: `${REGION}:33333333-3333-4333-8333-333333333333`,
  identityPoolName: 'TokenServicePool',
  developerProviderName: 'login.example.app',
  allowUnauthenticatedIdentities: true,
  allowClassicFlow: false,
  roles: { authenticated: 'arn:aws:iam::000000000000:role/AuthRole', unauthenticated: 'arn:aws:iam::000000000000:role/GuestRole' },
};
export const COGNITO_OPENID_ISSUER = 'https://cognito-identity.amazonaws.com';
/** The token service's own access key; the local Cognito admits developer calls signed with it. */
const TOKEN_SERVICE_ACCESS_KEY_ID = 'AKIDTOKENSERVICETEST';

export interface LocalCognito {
  endpoint: string;
  jwksUrl: string;
  /** Developer API calls that reached Cognito, by operation name. */
  developerCalls: string[];
  /** A client with the token service's credentials. */
  tokenServiceClient(): CognitoIdentityClient;
  /** A client for the public (unsigned) APIs, as an app would use. */
  publicClient(): CognitoIdentityClient;
  /** A new guest identity and a current guest OpenID token for it. */
  newGuest(): Promise<{ identityId: string; token: string }>;
  close(): Promise<void>;
}

/**
 * The local cloud's real Cognito Identity handler on 127.0.0.1. Its developer-call hook stands in
 * for SigV4 + IAM by admitting calls signed with the token service's access key id. `overrides`
 * change its options (a clock, lifetimes, the STS hook); the credential store shares the clock.
 */
export async function startLocalCognito(overrides: Partial<CognitoIdentityHandlerOptions> = {}): Promise<LocalCognito> {
  const dataDirectory = await mkdtemp(join(tmpdir(), 'token-service-cognito-'));
  const developerCalls: string[] = [];
  const endpointHandler = await createCognitoIdentityRequestHandler({
    dataDirectory,
    region: REGION,
    accountId: '000000000000',
    identityPools: [POOL],
    credentialStore: await CredentialStore.open({ dataDirectory, clock: overrides.clock }),
    maxOpenIdTokenLifetimeSeconds: 3600,
    async authorizeDeveloperCall(call) {
      const authorization = call.headers.authorization;
      if (typeof authorization !== 'string' || !authorization.includes(`Credential=${TOKEN_SERVICE_ACCESS_KEY_ID}/`)) {
        return { allowed: false, error: 'NotAuthorized', message: 'Unsigned developer call.' };
      }
      developerCalls.push(call.operation);
      return { allowed: true };
    },
    async assumeRoleWithWebIdentity() {
      return { allowed: true, roleId: 'AROATOKENSERVICETEST' };
    },
    ...overrides,
  });
  const server = await listen(createServer((request, response) => void endpointHandler.handleRequest(request, response)));
  const endpoint = serverUrl(server);
  const client = (credentials?: { accessKeyId: string; secretAccessKey: string }) =>
    new CognitoIdentityClient({ endpoint, region: REGION, maxAttempts: 1, ...(credentials ? { credentials } : {}) });
  const publicClient = () =>
    client({ accessKeyId: 'AKIDAPPCLIENTPUBLIC0', secretAccessKey: 'unused-for-public-apis' });
  return {
    endpoint,
    jwksUrl: `${endpoint}/.well-known/jwks_uri`,
    developerCalls,
    tokenServiceClient: () => client({ accessKeyId: TOKEN_SERVICE_ACCESS_KEY_ID, secretAccessKey: 'token-service-test-secret' }),
    publicClient,
    async newGuest() {
      const { IdentityId } = await publicClient().send(new GetIdCommand({ IdentityPoolId: POOL.identityPoolId }));
      const { Token } = await publicClient().send(new GetOpenIdTokenCommand({ IdentityId }));
      return { identityId: IdentityId!, token: Token! };
    },
    async close() {
      await close(server);
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** A stand-in for the app's OIDC issuer: an RSA key pair whose JWKS is served over HTTP. */
export interface TestIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  privateKey: KeyObject;
  publicJwk: JWK;
  /** A valid session token for `user`, with `claims` and `change` applied. */
  sessionToken(user: string, claims?: Record<string, unknown>, change?: { expiresInSeconds?: number; issuer?: string; audience?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const body = JSON.stringify({ keys: [publicJwk] });
  const server = await listen(
    createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    }),
  );
  const issuer = 'https://login.example.app';
  const audience = 'scoped-storage-app';
  return {
    issuer,
    audience,
    jwksUrl: `${serverUrl(server)}/jwks.json`,
    privateKey,
    publicJwk,
    sessionToken(user, claims = {}, change = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(change.issuer ?? issuer)
        .setAudience(change.audience ?? audience)
        .setSubject(user)
        .setIssuedAt(now)
        .setExpirationTime(now + (change.expiresInSeconds ?? 600))
        .sign(privateKey);
    },
    close: () => close(server),
  };
}

/** A deployed token service's environment: OIDC app sessions from `issuer`, this pool. */
export function oidcTokenServiceEnvironment(issuer: TestIssuer): Record<string, string> {
  return {
    TOKEN_SERVICE_IDENTITY_POOL_ID: POOL.identityPoolId,
    TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: POOL.developerProviderName,
    TOKEN_SERVICE_AUTHENTICATOR: 'oidc',
    TOKEN_SERVICE_OIDC_ISSUER: issuer.issuer,
    TOKEN_SERVICE_OIDC_AUDIENCE: issuer.audience,
    TOKEN_SERVICE_OIDC_JWKS_URL: issuer.jwksUrl,
  };
}

export interface TokenServiceUnderTest extends RunningTokenService {
  /** Every log line the service wrote. */
  logLines: string[];
  request(path: string, init?: RequestInit & { session?: string }): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }>;
}

/** The token service on a local port, with the OIDC authenticator of `issuer` and Cognito at `cognito`. */
export async function startTokenService(
  cognito: LocalCognito,
  issuer: TestIssuer,
  overrides: Partial<TokenServiceServerOptions> = {},
): Promise<TokenServiceUnderTest> {
  const logLines: string[] = [];
  const running = await startTokenServiceServer({
    cognito: cognito.tokenServiceClient(),
    identityPoolId: POOL.identityPoolId,
    developerProviderName: POOL.developerProviderName,
    authenticator: createOidcAuthenticator({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl }),
    guestTokenJwksUrl: cognito.jwksUrl,
    allowedOrigins: ['https://app.example.com'],
    logSink: (line) => logLines.push(line),
    ...overrides,
  });
  return {
    ...running,
    logLines,
    async request(path, init = {}) {
      const { session, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (session !== undefined) headers.set('authorization', `Bearer ${session}`);
      const response = await fetch(`${running.url}${path}`, { ...rest, headers });
      const text = await response.text();
      let body: Record<string, unknown> = {};
      try {
        body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = {};
      }
      return { status: response.status, headers: response.headers, body, text };
    },
  };
}

export function postJson(body: unknown, session?: string): RequestInit & { session?: string } {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(session === undefined ? {} : { session }) };
}

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function serverUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
