import { DeleteIdentitiesCommand, GetOpenIdTokenForDeveloperIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityCredentialsProvider, type IdentityCredentialsOptions } from '../../../app/library/identity-credentials.ts';
import { StorageError } from '../../../app/library/storage-errors.ts';
import type { IdentityToken } from '../../../app/library/token-service-client.ts';
import { POOL, REGION, startLocalCognito, type LocalCognito } from '../token-service/token-service-fixture.ts';

const START = Date.parse('2026-03-01T12:00:00.000Z');
const USER = 'user-1';

/**
 * The SDK's own Node HTTP handler, observed: records each GetCredentialsForIdentity request the
 * real Cognito client sends (the provider builds that client itself, so there is no client to add
 * middleware to), then sends it on unchanged to the local Cognito.
 */
class ObservedHttpHandler extends NodeHttpHandler {
  readonly exchanges: Array<{ identityId: string; token: string }> = [];

  override async handle(...[request, options]: Parameters<NodeHttpHandler['handle']>) {
    if (request.headers['x-amz-target'] === 'AWSCognitoIdentityService.GetCredentialsForIdentity') {
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      const input = JSON.parse(body) as { IdentityId: string; Logins: Record<string, string> };
      this.exchanges.push({ identityId: input.IdentityId, token: input.Logins['cognito-identity.amazonaws.com']! });
    }
    return super.handle(request, options);
  }
}

/**
 * The token service's part, done against the local Cognito: OpenID tokens for USER from
 * GetOpenIdTokenForDeveloperIdentity, living `lifetimeSeconds`. `handOut` tokens go out first (e.g.
 * one that expired meanwhile); while `hold` is set, requests wait for it.
 */
function tokenSource(cognito: LocalCognito, lifetimeSeconds: number) {
  const issued: IdentityToken[] = [];
  const handOut: IdentityToken[] = [];
  const state: { hold?: Promise<void> } = {};
  const mint = async (tokenLifetimeSeconds = lifetimeSeconds): Promise<IdentityToken> => {
    const { IdentityId, Token } = await cognito.tokenServiceClient().send(
      new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL.identityPoolId, Logins: { [POOL.developerProviderName]: USER }, TokenDuration: tokenLifetimeSeconds }),
    );
    return { identityId: IdentityId!, token: Token!, expiresAt: new Date(decodeJwt(Token!).exp! * 1000), principalTags: {} };
  };
  const requestToken = async (): Promise<IdentityToken> => {
    await state.hold;
    const token = handOut.shift() ?? (await mint());
    issued.push(token);
    return token;
  };
  return { issued, handOut, state, mint, requestToken };
}

const running: LocalCognito[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((cognito) => cognito.close()));
});

/** A local Cognito on a clock the test moves, issuing credentials that live `credentialsLifetimeSeconds`. */
async function setUp(options: Partial<IdentityCredentialsOptions> & { tokenLifetimeSeconds?: number; credentialsLifetimeSeconds?: number } = {}) {
  const { tokenLifetimeSeconds = 600, credentialsLifetimeSeconds = 3600, ...providerOptions } = options;
  const clock = { now: START };
  const cognito = await startLocalCognito({ clock: () => new Date(clock.now), credentialsLifetimeSeconds, maxOpenIdTokenLifetimeSeconds: 86_400 });
  running.push(cognito);
  const http = new ObservedHttpHandler();
  const tokens = tokenSource(cognito, tokenLifetimeSeconds);
  const provider = new IdentityCredentialsProvider({
    requestToken: tokens.requestToken,
    cognitoClientConfig: { region: REGION, endpoint: cognito.endpoint, requestHandler: http, maxAttempts: 1 },
    now: () => clock.now,
    ...providerOptions,
  });
  return { clock, cognito, http, tokens, provider };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & { code?: string },
  );
}

describe('IdentityCredentialsProvider', () => {
  it('trades a token from the token service for the identity\'s credentials through the Cognito client', async () => {
    const { http, tokens, provider } = await setUp();
    expect(provider.identityId).toBeUndefined();
    const credentials = await provider.get();
    const [token] = tokens.issued;
    expect(http.exchanges).toEqual([{ identityId: token!.identityId, token: token!.token }]);
    expect(credentials).toMatchObject({ identityId: token!.identityId, accessKeyId: expect.stringMatching(/^ASIA/), secretAccessKey: expect.any(String), sessionToken: expect.any(String) });
    expect(credentials.expiration.getTime()).toBe(START + 3600_000);
    expect(provider.identityId).toBe(token!.identityId);
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
  });

  it('reuses credentials until 300 seconds before they expire, then exchanges again', async () => {
    const { clock, http, provider } = await setUp({ tokenLifetimeSeconds: 86_400 });
    const first = await provider.get();
    clock.now = START + 3600_000 - 300_001;
    // The S3 client gets the cached credentials marked as due, so it asks again before every request.
    expect(await provider.provide()).toEqual({ ...first, expiration: new Date(0) });
    expect(http.exchanges).toHaveLength(1);
    clock.now = START + 3600_000 - 300_000;
    const second = await provider.get();
    expect(second).not.toBe(first);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(http.exchanges).toHaveLength(2);
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 2 });
  });

  it('caps the refresh margin at a quarter of the credentials\' lifetime, so short-lived ones are not exchanged on every call', async () => {
    const { clock, http, provider } = await setUp({ tokenLifetimeSeconds: 86_400, credentialsLifetimeSeconds: 8 });
    await provider.get();
    clock.now = START + 5_999;
    await provider.get();
    expect(http.exchanges).toHaveLength(1);
    clock.now = START + 6_000;
    await provider.get();
    expect(http.exchanges).toHaveLength(2);
  });

  it('takes a refresh margin of its own', async () => {
    const { clock, http, provider } = await setUp({ refreshMarginSeconds: 60, tokenLifetimeSeconds: 86_400 });
    await provider.get();
    clock.now = START + 3600_000 - 60_001;
    await provider.get();
    expect(http.exchanges).toHaveLength(1);
    clock.now = START + 3600_000 - 60_000;
    await provider.get();
    expect(http.exchanges).toHaveLength(2);
  });

  it('reuses the OpenID token for a new exchange until 5 seconds before it expires', async () => {
    const { clock, http, tokens, provider } = await setUp({ tokenLifetimeSeconds: 600, credentialsLifetimeSeconds: 100 });
    await provider.get();
    clock.now = START + 80_000;
    await provider.get();
    const [first] = tokens.issued;
    expect(http.exchanges.map((call) => call.token)).toEqual([first!.token, first!.token]);
    clock.now = START + 595_000;
    await provider.get();
    const second = tokens.issued[1]!;
    expect(second.token).not.toBe(first!.token);
    expect(http.exchanges.map((call) => call.token)).toEqual([first!.token, first!.token, second.token]);
    expect(provider.counts).toEqual({ tokenRequests: 2, credentialExchanges: 3 });
  });

  it('shares one refresh among concurrent callers, and starts a new one once it settled', async () => {
    const { clock, http, tokens, provider } = await setUp();
    let release = () => {};
    tokens.state.hold = new Promise<void>((resolve) => (release = resolve));
    const waiting = Array.from({ length: 5 }, () => provider.get());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 0 });
    release();
    const results = await Promise.all(waiting);
    expect(new Set(results).size).toBe(1);
    expect(http.exchanges).toHaveLength(1);
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
    clock.now = START + 3600_000;
    await Promise.all([provider.get(), provider.get()]);
    expect(http.exchanges).toHaveLength(2);
  });

  it('after NotAuthorizedException (token expired or revoked meanwhile) gets a new token and tries once more', async () => {
    const { clock, http, tokens, provider } = await setUp();
    // A token handed out earlier that Cognito's clock has since passed.
    const stale = await tokens.mint(60);
    tokens.handOut.push(stale);
    clock.now = START + 61_000;
    const credentials = await provider.get();
    const fresh = tokens.issued[1]!;
    expect(http.exchanges.map((call) => call.token)).toEqual([stale.token, fresh.token]);
    expect(credentials.expiration.getTime()).toBe(START + 61_000 + 3600_000);
    expect(provider.counts).toEqual({ tokenRequests: 2, credentialExchanges: 2 });
  });

  it('gives up after the second NotAuthorizedException with StorageError Expired, and tries again on the next call', async () => {
    const { clock, http, tokens, provider } = await setUp();
    tokens.handOut.push(await tokens.mint(60), await tokens.mint(60));
    clock.now = START + 61_000;
    const error = await rejection(provider.get());
    expect(error).toMatchObject({ name: 'StorageError', code: 'Expired', message: 'Cognito refused the sign-in token; sign in again.' });
    expect((error.cause as Error).name).toBe('NotAuthorizedException');
    expect(http.exchanges).toHaveLength(2);
    await expect(provider.get()).resolves.toMatchObject({ identityId: tokens.issued[0]!.identityId });
    expect(http.exchanges).toHaveLength(3);
  });

  it('does not retry other failures: they are Network (the identity is gone, or Cognito is unreachable)', async () => {
    const deleted = await setUp();
    const token = await deleted.tokens.mint();
    deleted.tokens.handOut.push(token);
    await deleted.cognito.tokenServiceClient().send(new DeleteIdentitiesCommand({ IdentityIdsToDelete: [token.identityId] }));
    const gone = await rejection(deleted.provider.get());
    expect(gone).toMatchObject({ code: 'Network', message: 'Could not get temporary credentials from Cognito.' });
    expect((gone.cause as Error).name).toBe('ResourceNotFoundException');
    expect(deleted.http.exchanges).toHaveLength(1);
    expect(deleted.provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });

    const unreachable = await setUp();
    unreachable.tokens.handOut.push(await unreachable.tokens.mint());
    await unreachable.cognito.close();
    expect(await rejection(unreachable.provider.get())).toMatchObject({ code: 'Network', message: 'Could not get temporary credentials from Cognito.' });
    expect(unreachable.http.exchanges).toHaveLength(1);
    expect(unreachable.provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
  });

  it('passes a StorageError of the token service through unchanged', async () => {
    const refused = new StorageError('SignInRequired', 'Sign in first.');
    const { http, provider } = await setUp({
      requestToken: async () => {
        throw refused;
      },
    });
    expect(await rejection(provider.get())).toBe(refused);
    expect(http.exchanges).toEqual([]);
  });

  it('forgets token and credentials on sign-out: the next call starts over', async () => {
    const { clock, http, tokens, provider } = await setUp();
    await provider.get();
    provider.forget();
    expect(provider.identityId).toBeUndefined();
    clock.now = START + 1_000;
    await provider.get();
    expect(tokens.issued).toHaveLength(2);
    expect(http.exchanges.map((call) => call.token)).toEqual(tokens.issued.map((token) => token.token));
  });

  it('starts from saved credentials (onCredentials -> initialCredentials): no exchange until they are due, then one', async () => {
    const saved: Array<Parameters<NonNullable<IdentityCredentialsOptions['onCredentials']>>[0]> = [];
    const first = await setUp({ tokenLifetimeSeconds: 86_400, onCredentials: (snapshot) => saved.push(snapshot) });
    const issued = await first.provider.get();
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ credentials: issued, issuedAt: new Date(START), token: first.tokens.issued[0] });

    // The next run: the same token source and Cognito, a new provider given what the first one saved.
    const next = new IdentityCredentialsProvider({
      requestToken: first.tokens.requestToken,
      cognitoClientConfig: { region: REGION, endpoint: first.cognito.endpoint, requestHandler: first.http, maxAttempts: 1 },
      now: () => first.clock.now,
      initialCredentials: saved[0],
      onCredentials: (snapshot) => saved.push(snapshot),
    });
    first.clock.now = START + 3600_000 - 300_001;
    expect(await next.get()).toEqual(issued);
    expect(next.principalTags).toEqual({});
    expect(next.identityId).toBe(issued.identityId);
    expect(first.http.exchanges).toHaveLength(1);
    expect(next.counts).toEqual({ tokenRequests: 0, credentialExchanges: 0 });
    first.clock.now = START + 3600_000 - 300_000;
    expect((await next.get()).accessKeyId).not.toBe(issued.accessKeyId);
    expect(first.http.exchanges).toHaveLength(2);
    expect(saved).toHaveLength(2);
  });

  it('ignores saved credentials that are not its identity\'s: a guest\'s for a signed-in provider, a signed-in one\'s without its token', async () => {
    const { cognito, http, provider, tokens } = await setUp({ tokenLifetimeSeconds: 86_400 });
    const issued = await provider.get();
    const guestSnapshot = { credentials: { ...issued, identityId: 'us-east-1:00000000-0000-4000-8000-000000000000' }, issuedAt: new Date(START) };
    for (const initialCredentials of [guestSnapshot, { credentials: issued, issuedAt: new Date(START) }, { ...guestSnapshot, token: tokens.issued[0] }]) {
      const other = new IdentityCredentialsProvider({
        requestToken: tokens.requestToken,
        cognitoClientConfig: { region: REGION, endpoint: cognito.endpoint, requestHandler: http, maxAttempts: 1 },
        initialCredentials,
      });
      expect(other.identityId).toBeUndefined();
      await other.get();
    }
    expect(http.exchanges).toHaveLength(4);
  });
});
