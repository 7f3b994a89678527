import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { CredentialStore } from '../../../infra/local/credentials/credential-store.ts';
import type { IdentityPool } from '../../../infra/local/cognito/model/identity-pool.ts';
import { createCognitoIdentityRequestHandler, type CognitoIdentityHandlerOptions } from '../../../infra/local/cognito/routes.ts';
import type { DeveloperCall, WebIdentityRoleRequest } from '../../../infra/local/cognito/service-hooks.ts';

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '000000000000';
export const AUTH_ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/storage/AuthRole`;
export const GUEST_ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/GuestRole`;

/** Developer-authenticated pool without guests, as the stack deploys it. */
export const DEVELOPER_POOL: IdentityPool = {
  identityPoolId: `${REGION}:11111111-1111-4111-8111-111111111111`,
  identityPoolName: 'DeveloperPool',
  developerProviderName: 'login.example.app',
  allowUnauthenticatedIdentities: false,
  allowClassicFlow: false,
  roles: { authenticated: AUTH_ROLE_ARN },
};

/** A second pool that admits guests. */
export const GUEST_POOL: IdentityPool = {
  identityPoolId: `${REGION}:22222222-2222-4222-8222-222222222222`,
  identityPoolName: 'GuestPool',
  developerProviderName: 'guests.example.app',
  allowUnauthenticatedIdentities: true,
  allowClassicFlow: false,
  roles: { authenticated: AUTH_ROLE_ARN, unauthenticated: GUEST_ROLE_ARN },
};

/**
 * Stands in for the SigV4 + IAM check until it is wired: a developer call is allowed when it
 * carries this header naming the pool (or `*`), denied (AccessDenied) when the header names other
 * pools, and unauthenticated (NotAuthorized) without it.
 */
export const TEST_DEVELOPER_HEADER = 'x-test-developer-pools';

export interface LocalCognito {
  endpoint: string;
  dataDirectory: string;
  credentialStore: CredentialStore;
  /** Developer calls seen by the authorization hook. */
  developerCalls: DeveloperCall[];
  /** Role requests seen by the STS hook. */
  roleRequests: WebIdentityRoleRequest[];
  /** Moves the service's clock forward. */
  advanceClock(seconds: number): void;
  /** A client whose developer calls carry the test header for `pools`. */
  developerClient(pools?: string): CognitoIdentityClient;
  /** A client for the public APIs. */
  publicClient(): CognitoIdentityClient;
  /** A new server and handler over the same data directory (the old one is closed). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalCognito(overrides: Partial<CognitoIdentityHandlerOptions> = {}): Promise<LocalCognito> {
  const dataDirectory = await mkdtemp(join(tmpdir(), 'local-cognito-'));
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);
  const developerCalls: DeveloperCall[] = [];
  const roleRequests: WebIdentityRoleRequest[] = [];
  let server: Server;
  let credentialStore: CredentialStore;
  let endpoint = '';

  async function start(): Promise<void> {
    credentialStore = await CredentialStore.open({ dataDirectory, clock });
    const handler = await createCognitoIdentityRequestHandler({
      dataDirectory,
      region: REGION,
      accountId: ACCOUNT_ID,
      identityPools: [DEVELOPER_POOL, GUEST_POOL],
      credentialStore,
      clock,
      async authorizeDeveloperCall(call) {
        developerCalls.push(call);
        const header = call.headers[TEST_DEVELOPER_HEADER];
        if (typeof header !== 'string') return { allowed: false, error: 'NotAuthorized', message: 'Missing developer credentials.' };
        const pools = header.split(',');
        if (pools.includes('*') || (call.identityPoolId !== undefined && pools.includes(call.identityPoolId))) return { allowed: true };
        return { allowed: false, error: 'AccessDenied', message: `Not allowed to call ${call.operation} on ${call.identityPoolId ?? '*'}.` };
      },
      async assumeRoleWithWebIdentity(request) {
        roleRequests.push(request);
        return { allowed: true, roleId: request.roleArn === GUEST_ROLE_ARN ? 'AROAGUESTROLE0000000' : 'AROAAUTHROLE00000000' };
      },
      ...overrides,
    });
    server = createServer((request, response) => void handler.handleRequest(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const client = (pools?: string) => {
    const cognito = new CognitoIdentityClient({
      endpoint,
      region: REGION,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDLOCALTESTDEVELOPER', secretAccessKey: 'local-test-secret' },
    });
    if (pools !== undefined) {
      cognito.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { headers: Record<string, string> }).headers[TEST_DEVELOPER_HEADER] = pools;
          return next(args);
        },
        { step: 'build', name: 'testDeveloperHeader' },
      );
    }
    return cognito;
  };

  await start();
  return {
    get endpoint() {
      return endpoint;
    },
    dataDirectory,
    get credentialStore() {
      return credentialStore;
    },
    developerCalls,
    roleRequests,
    advanceClock: (seconds) => {
      clockOffsetMs += seconds * 1000;
    },
    developerClient: (pools = '*') => client(pools),
    publicClient: () => client(),
    async restart() {
      await stop();
      await start();
    },
    async close() {
      server.closeAllConnections();
      await stop();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** Posts a raw JSON 1.1 request, for inputs the SDK would never send. */
export async function postRaw(
  endpoint: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { __type?: string; message?: string } & Record<string, unknown>; headers: Headers }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}
