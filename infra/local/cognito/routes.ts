import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import type { CredentialStore } from '../credentials/credential-store.ts';
import type { LocalDatabase } from '../persistence/local-database.ts';
import type { IdentityPool } from './model/identity-pool.ts';
import { IdentityStore } from './model/identity-store.ts';
import { deleteIdentities, describeIdentity, getId } from './operations/identity-operations.ts';
import {
  getOpenIdTokenForDeveloperIdentity,
  lookupDeveloperIdentity,
  mergeDeveloperIdentities,
  unlinkDeveloperIdentity,
} from './operations/developer-identity-operations.ts';
import type { CallerCheck, CognitoServiceDependencies } from './operations/service-dependencies.ts';
import { getCredentialsForIdentity, getOpenIdToken } from './operations/token-operations.ts';
import { allowCrossOrigin, answerPreflight } from './protocol/cognito-cors.ts';
import { callerRejectionError, CognitoIdentityError, RequestEntityTooLargeException, UnknownOperationException } from './cognito-errors.ts';
import { parseJsonRequest } from './protocol/json-request.ts';
import { MAX_TOKEN_DURATION_SECONDS, operationInputParsers, type OperationInput, type OperationName } from './protocol/operation-inputs.ts';
import { readRequestBody } from './protocol/cognito-request-body.ts';
import { renderError, renderResult } from './protocol/render-response.ts';
import type { AssumeRoleWithWebIdentity, AuthorizeDeveloperCall } from './service-hooks.ts';
import { loadOrCreateSigningKey } from './tokens/signing-key.ts';

export interface CognitoIdentityHandlerOptions {
  /** Identities and the signing key live under `<dataDirectory>/cognito/`. */
  dataDirectory: string;
  region: string;
  accountId: string;
  /** The pools to serve; pools stored by an earlier run stay served too. */
  identityPools: IdentityPool[];
  /** Where GetCredentialsForIdentity's credentials go (shared with the endpoints that verify them). */
  credentialStore: CredentialStore;
  /** The SigV4 + IAM check of the developer APIs; the public APIs never call it. */
  authorizeDeveloperCall: AuthorizeDeveloperCall;
  /** STS's trust policy check for GetCredentialsForIdentity. */
  assumeRoleWithWebIdentity: AssumeRoleWithWebIdentity;
  /** Lifetime of developer tokens without TokenDuration. @default 900, as on AWS */
  defaultOpenIdTokenLifetimeSeconds?: number;
  /** Cap on every OpenID token's lifetime. @default 86400, as on AWS */
  maxOpenIdTokenLifetimeSeconds?: number;
  /** Lifetime of GetOpenIdToken's tokens (then capped by the maximum). @default 600, as on AWS */
  openIdTokenLifetimeSeconds?: number;
  /** @default 3600, as on AWS */
  credentialsLifetimeSeconds?: number;
  /** Larger request bodies are refused with 413. @default 65536 */
  maxRequestBodyBytes?: number;
  /** @default () => new Date() */
  clock?: () => Date;
  /** The local cloud's shared database connection for identities; without it the identity store opens its own. */
  database?: LocalDatabase;
  /** Told about unexpected failures (answered as InternalErrorException). @default console.error */
  onInternalError?: (error: unknown) => void;
}

interface CognitoIdentityEndpoint {
  /** Serves the JSON 1.1 API at `POST /`, the JWKS at `GET /.well-known/jwks.json` and CORS preflights. Never rejects. */
  handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** The public keys that verify the OpenID tokens. */
  jwks: { keys: JWK[] };
}

const JWKS_PATHS = new Set(['/.well-known/jwks.json', '/.well-known/jwks_uri']);

type Operation<Name extends OperationName> = (
  dependencies: CognitoServiceDependencies,
  input: OperationInput<Name>,
  caller: CallerCheck,
) => Promise<object>;

const operations: { [Name in OperationName]: Operation<Name> } = {
  GetId: getId,
  GetOpenIdToken: getOpenIdToken,
  GetOpenIdTokenForDeveloperIdentity: getOpenIdTokenForDeveloperIdentity,
  GetCredentialsForIdentity: getCredentialsForIdentity,
  LookupDeveloperIdentity: lookupDeveloperIdentity,
  MergeDeveloperIdentities: mergeDeveloperIdentities,
  UnlinkDeveloperIdentity: unlinkDeveloperIdentity,
  DeleteIdentities: deleteIdentities,
  DescribeIdentity: describeIdentity,
};

/** Loads the stored identities and signing key and returns the endpoint serving them. */
export async function createCognitoIdentityRequestHandler(options: CognitoIdentityHandlerOptions): Promise<CognitoIdentityEndpoint> {
  const clock = options.clock ?? (() => new Date());
  const maxTokenSeconds = Math.min(options.maxOpenIdTokenLifetimeSeconds ?? MAX_TOKEN_DURATION_SECONDS, MAX_TOKEN_DURATION_SECONDS);
  const dependencies: CognitoServiceDependencies = {
    identities: await IdentityStore.open({ dataDirectory: options.dataDirectory, identityPools: options.identityPools, clock, database: options.database }),
    signingKey: await loadOrCreateSigningKey(options.dataDirectory, options.region),
    credentials: options.credentialStore,
    assumeRoleWithWebIdentity: options.assumeRoleWithWebIdentity,
    accountId: options.accountId,
    clock,
    lifetimes: {
      developerTokenDefaultSeconds: Math.min(options.defaultOpenIdTokenLifetimeSeconds ?? 900, maxTokenSeconds),
      tokenMaxSeconds: maxTokenSeconds,
      openIdTokenSeconds: Math.min(options.openIdTokenLifetimeSeconds ?? 600, maxTokenSeconds),
      credentialsSeconds: options.credentialsLifetimeSeconds ?? 3600,
    },
  };
  const jwks = { keys: [dependencies.signingKey.publicJwk] };
  const maxBodyBytes = options.maxRequestBodyBytes ?? 64 * 1024;
  const onInternalError = options.onInternalError ?? ((error: unknown) => console.error('cognito-identity: internal error', error));

  async function serveApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readRequestBody(request, maxBodyBytes);
    const { operation, input } = parseJsonRequest(
      { target: headerValue(request, 'x-amz-target'), contentType: headerValue(request, 'content-type') },
      body,
    );
    const caller: CallerCheck = {
      async authorize(identityPoolId) {
        const decision = await options.authorizeDeveloperCall({
          headers: request.headers,
          method: request.method ?? 'POST',
          path: request.url ?? '/',
          body,
          operation,
          identityPoolId,
        });
        if (!decision.allowed) throw callerRejectionError(decision.error, decision.message);
      },
    };
    renderResult(response, await runOperation(operation, input, dependencies, caller));
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      allowCrossOrigin(response);
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      if (request.method === 'OPTIONS') return answerPreflight(request, response);
      if (request.method === 'GET' && JWKS_PATHS.has(path)) return serveJwks(response, jwks);
      if (request.method !== 'POST' || path !== '/') throw new UnknownOperationException(`No operation at ${request.method} ${path}; Cognito Identity takes POST /.`);
      await serveApi(request, response);
    } catch (error) {
      if (clientWentAway(request)) {
        // The client cut the connection (e.g. mid-body): nobody to answer, and no fault of the service.
        response.destroy();
        return;
      }
      if (!(error instanceof CognitoIdentityError)) onInternalError(error);
      if (error instanceof RequestEntityTooLargeException) {
        // The rest of an oversized body is not worth reading: end the connection after the answer.
        response.setHeader('connection', 'close');
      }
      try {
        renderError(response, error);
      } catch {
        response.destroy();
      }
    }
  }

  return { handleRequest, jwks };
}

function clientWentAway(request: IncomingMessage): boolean {
  return request.socket.destroyed || (request.destroyed && !request.complete);
}

function runOperation<Name extends OperationName>(
  name: Name,
  input: Record<string, unknown>,
  dependencies: CognitoServiceDependencies,
  caller: CallerCheck,
): Promise<object> {
  const parsed = operationInputParsers[name](input) as OperationInput<Name>;
  return (operations[name] as Operation<Name>)(dependencies, parsed, caller);
}

function serveJwks(response: ServerResponse, jwks: { keys: JWK[] }): void {
  const body = JSON.stringify(jwks);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=300' });
  response.end(body);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
