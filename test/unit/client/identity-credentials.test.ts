import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IdentityCredentialsProvider, type IdentityCredentialsOptions } from '../../../app/library/identity-credentials.ts';
import { StorageError } from '../../../app/library/storage-errors.ts';
import type { IdentityToken } from '../../../app/library/token-service-client.ts';

const IDENTITY_ID = 'us-east-1:0c9e8a34-1d6d-4f4f-9c1a-1234567890ab';
const START = Date.parse('2026-03-01T12:00:00.000Z');

interface CognitoAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Cognito Identity's GetCredentialsForIdentity at the HTTP boundary, as the request handler of the
 * real SDK client the provider builds: records each call and answers from a script (default:
 * credentials that live `lifetimeSeconds` from the clock).
 */
class FakeCognito {
  readonly calls: Array<{ identityId: string; token: string }> = [];
  readonly script: Array<CognitoAnswer | 'hang'> = [];
  lifetimeSeconds = 3600;
  private release: (() => void) | undefined;

  constructor(private readonly clock: { now: number }) {}

  readonly requestHandler = {
    handle: async (request: { body?: string | Uint8Array; headers: Record<string, string> }) => {
      expect(request.headers['x-amz-target']).toBe('AWSCognitoIdentityService.GetCredentialsForIdentity');
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      const input = JSON.parse(body) as { IdentityId: string; Logins: Record<string, string> };
      this.calls.push({ identityId: input.IdentityId, token: input.Logins['cognito-identity.amazonaws.com']! });
      let answer = this.script.shift();
      if (answer === 'hang') {
        await new Promise<void>((resolve) => (this.release = resolve));
        answer = undefined;
      }
      answer ??= this.credentials(input.IdentityId);
      return {
        response: {
          statusCode: answer.status,
          headers: { 'content-type': 'application/x-amz-json-1.1', ...(answer.status >= 400 && { 'x-amzn-errortype': String(answer.body.__type) }) },
          body: Readable.from([Buffer.from(JSON.stringify(answer.body))]),
        },
      };
    },
  };

  private credentials(identityId: string): CognitoAnswer {
    const serial = this.calls.length;
    const expiration = (this.clock.now + this.lifetimeSeconds * 1000) / 1000;
    return { status: 200, body: { IdentityId: identityId, Credentials: { AccessKeyId: `ASIAFAKE${serial}`, SecretKey: 'secret', SessionToken: `session-${serial}`, Expiration: expiration } } };
  }

  failWith(type: string, status = 400): void {
    this.script.push({ status, body: { __type: type, message: `${type} from the fake` } });
  }

  /** Answers the call that is waiting. */
  answerHanging(): void {
    this.release?.();
  }
}

/** A token service stand-in: numbered tokens that live `lifetimeSeconds` from the clock. */
function tokenSource(clock: { now: number }, lifetimeSeconds = 600) {
  const issued: IdentityToken[] = [];
  const requestToken = async (): Promise<IdentityToken> => {
    const token = { identityId: IDENTITY_ID, token: `openid-${issued.length + 1}`, expiresAt: new Date(clock.now + lifetimeSeconds * 1000) };
    issued.push(token);
    return token;
  };
  return { issued, requestToken };
}

function setUp(options: Partial<IdentityCredentialsOptions> & { tokenLifetimeSeconds?: number } = {}) {
  const clock = { now: START };
  const cognito = new FakeCognito(clock);
  const tokens = tokenSource(clock, options.tokenLifetimeSeconds);
  const provider = new IdentityCredentialsProvider({
    requestToken: tokens.requestToken,
    cognitoClientConfig: { region: 'us-east-1', requestHandler: cognito.requestHandler as never, maxAttempts: 1 },
    now: () => clock.now,
    ...options,
  });
  return { clock, cognito, tokens, provider };
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
    const { cognito, provider } = setUp();
    expect(provider.identityId).toBeUndefined();
    const credentials = await provider.get();
    expect(cognito.calls).toEqual([{ identityId: IDENTITY_ID, token: 'openid-1' }]);
    expect(credentials).toMatchObject({ identityId: IDENTITY_ID, accessKeyId: 'ASIAFAKE1', secretAccessKey: 'secret', sessionToken: 'session-1' });
    expect(credentials.expiration.getTime()).toBe(START + 3600_000);
    expect(provider.identityId).toBe(IDENTITY_ID);
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
  });

  it('reuses credentials until 300 seconds before they expire, then exchanges again', async () => {
    const { clock, provider } = setUp({ tokenLifetimeSeconds: 86_400 });
    const first = await provider.get();
    clock.now = START + 3600_000 - 300_001;
    expect(await provider.provide()).toBe(first);
    expect(provider.counts.credentialExchanges).toBe(1);
    clock.now = START + 3600_000 - 300_000;
    const second = await provider.get();
    expect(second).not.toBe(first);
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 2 });
  });

  it('caps the refresh margin at a quarter of the credentials\' lifetime, so short-lived ones are not exchanged on every call', async () => {
    const { clock, cognito, provider } = setUp({ tokenLifetimeSeconds: 86_400 });
    cognito.lifetimeSeconds = 8;
    await provider.get();
    clock.now = START + 5_999;
    await provider.get();
    expect(provider.counts.credentialExchanges).toBe(1);
    clock.now = START + 6_000;
    await provider.get();
    expect(provider.counts.credentialExchanges).toBe(2);
  });

  it('takes a refresh margin of its own', async () => {
    const { clock, provider } = setUp({ refreshMarginSeconds: 60, tokenLifetimeSeconds: 86_400 });
    await provider.get();
    clock.now = START + 3600_000 - 60_001;
    await provider.get();
    expect(provider.counts.credentialExchanges).toBe(1);
    clock.now = START + 3600_000 - 60_000;
    await provider.get();
    expect(provider.counts.credentialExchanges).toBe(2);
  });

  it('reuses the OpenID token for a new exchange until 5 seconds before it expires', async () => {
    const { clock, cognito, provider } = setUp({ tokenLifetimeSeconds: 600 });
    cognito.lifetimeSeconds = 100;
    await provider.get();
    clock.now = START + 80_000;
    await provider.get();
    expect(cognito.calls.map((call) => call.token)).toEqual(['openid-1', 'openid-1']);
    clock.now = START + 595_000;
    await provider.get();
    expect(cognito.calls.map((call) => call.token)).toEqual(['openid-1', 'openid-1', 'openid-2']);
    expect(provider.counts).toEqual({ tokenRequests: 2, credentialExchanges: 3 });
  });

  it('shares one refresh among concurrent callers, and starts a new one once it settled', async () => {
    const { clock, cognito, provider } = setUp();
    cognito.script.push('hang');
    const waiting = Array.from({ length: 5 }, () => provider.get());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cognito.calls).toHaveLength(1);
    cognito.answerHanging();
    const results = await Promise.all(waiting);
    expect(new Set(results).size).toBe(1);
    expect(provider.counts).toEqual({ tokenRequests: 1, credentialExchanges: 1 });
    clock.now = START + 3600_000;
    await Promise.all([provider.get(), provider.get()]);
    expect(provider.counts.credentialExchanges).toBe(2);
  });

  it('after NotAuthorizedException (token expired or revoked meanwhile) gets a new token and tries once more', async () => {
    const { cognito, provider } = setUp();
    cognito.failWith('NotAuthorizedException');
    const credentials = await provider.get();
    expect(cognito.calls.map((call) => call.token)).toEqual(['openid-1', 'openid-2']);
    expect(credentials.sessionToken).toBe('session-2');
    expect(provider.counts).toEqual({ tokenRequests: 2, credentialExchanges: 2 });
  });

  it('gives up after the second NotAuthorizedException with StorageError Expired, and tries again on the next call', async () => {
    const { cognito, provider } = setUp();
    cognito.failWith('NotAuthorizedException');
    cognito.failWith('NotAuthorizedException');
    const error = await rejection(provider.get());
    expect(error).toMatchObject({ name: 'StorageError', code: 'Expired', message: 'Cognito refused the sign-in token; sign in again.' });
    expect((error.cause as Error).name).toBe('NotAuthorizedException');
    expect(cognito.calls).toHaveLength(2);
    await expect(provider.get()).resolves.toMatchObject({ identityId: IDENTITY_ID });
    expect(cognito.calls).toHaveLength(3);
  });

  it('does not retry other failures: throttling is RateLimited, anything else Network', async () => {
    const throttled = setUp();
    throttled.cognito.failWith('TooManyRequestsException');
    expect(await rejection(throttled.provider.get())).toMatchObject({ code: 'RateLimited' });
    expect(throttled.cognito.calls).toHaveLength(1);

    const broken = setUp();
    broken.cognito.failWith('InternalErrorException', 500);
    expect(await rejection(broken.provider.get())).toMatchObject({ code: 'Network', message: 'Could not get temporary credentials from Cognito.' });
    expect(broken.cognito.calls).toHaveLength(1);
  });

  it('passes a StorageError of the token service through unchanged', async () => {
    const refused = new StorageError('SignInRequired', 'Sign in first.');
    const { cognito, provider } = setUp({
      requestToken: async () => {
        throw refused;
      },
    });
    expect(await rejection(provider.get())).toBe(refused);
    expect(cognito.calls).toEqual([]);
  });

  it('refuses credentials without an expiration (ServiceError): they could never be refreshed in time', async () => {
    const { cognito, provider } = setUp();
    cognito.script.push({ status: 200, body: { IdentityId: IDENTITY_ID, Credentials: { AccessKeyId: 'ASIAFAKE', SecretKey: 'secret', SessionToken: 'session' } } });
    expect(await rejection(provider.get())).toMatchObject({ code: 'ServiceError', message: 'Cognito returned credentials without an expiration.' });
  });

  it('forgets token and credentials on sign-out: the next call starts over', async () => {
    const { cognito, provider } = setUp();
    await provider.get();
    provider.forget();
    expect(provider.identityId).toBeUndefined();
    await provider.get();
    expect(cognito.calls.map((call) => call.token)).toEqual(['openid-1', 'openid-2']);
  });
});
