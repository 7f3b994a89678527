import {
  CognitoIdentityClient,
  InternalErrorException,
  LimitExceededException,
  NotAuthorizedException,
  ResourceConflictException,
  TooManyRequestsException,
  type CognitoIdentityServiceException,
} from '@aws-sdk/client-cognito-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcAuthenticator } from '../../../token-service/authenticators/oidc-authenticator.ts';
import { startLocalCognito, startTestIssuer, startTokenService, type LocalCognito, type TestIssuer, type TokenServiceUnderTest } from './token-service-fixture.ts';

const AWS_SECRET_TEXT = 'Rate exceeded for arn:aws:cognito-identity:us-east-1:000000000000:identitypool/internal-detail';

let cognito: LocalCognito;
let issuer: TestIssuer;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
});
afterAll(() => Promise.all([cognito.close(), issuer.close()]));

describe('per-user rate limiting', () => {
  let service: TokenServiceUnderTest;
  beforeAll(async () => {
    service = await startTokenService(cognito, issuer, { rateLimit: { ratePerSecond: 1, burst: 3 } });
  });
  afterAll(() => service.close());

  it('answers 429 with Retry-After once a user has spent the burst, without slowing other users', async () => {
    const session = await issuer.sessionToken('quinn');
    const statuses = [];
    for (let index = 0; index < 4; index += 1) statuses.push((await service.request('/v1/token', { method: 'POST', session })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);

    const limited = await service.request('/v1/token', { method: 'POST', session });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body.error).toEqual({ code: 'rate_limited', message: expect.any(String) });

    expect((await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('rita') })).status).toBe(200);
  });
});

/**
 * The one place a fault is injected: a real client for the local Cognito whose calls fail with
 * the error AWS would send, because the local Cognito never throttles and is never misconfigured.
 */
function failingClient(client: CognitoIdentityClient, failure: () => CognitoIdentityServiceException): CognitoIdentityClient {
  client.middlewareStack.add(
    () => async () => {
      throw failure();
    },
    { step: 'finalizeRequest', name: 'injectCognitoFailure', priority: 'high' },
  );
  return client;
}

describe('Cognito failures', () => {
  it.each([
    ['TooManyRequestsException', () => new TooManyRequestsException({ message: AWS_SECRET_TEXT, $metadata: {} }), 503, 'upstream_unavailable'],
    ['LimitExceededException', () => new LimitExceededException({ message: AWS_SECRET_TEXT, $metadata: {} }), 503, 'upstream_unavailable'],
    ['ResourceConflictException', () => new ResourceConflictException({ message: AWS_SECRET_TEXT, $metadata: {} }), 409, 'conflict'],
    ['NotAuthorizedException', () => new NotAuthorizedException({ message: AWS_SECRET_TEXT, $metadata: {} }), 500, 'internal'],
    ['InternalErrorException', () => new InternalErrorException({ message: AWS_SECRET_TEXT, $metadata: {} }), 502, 'upstream_error'],
  ] as const)('maps %s to %i %s without passing on AWS text', async (_name, failure, status, code) => {
    const service = await startTokenService(cognito, issuer, { cognito: failingClient(cognito.tokenServiceClient(), failure) });
    try {
      const response = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('sam') });
      expect(response.status).toBe(status);
      expect((response.body.error as { code: string }).code).toBe(code);
      expect(response.text).not.toContain('Rate exceeded');
      expect(response.text).not.toContain('arn:aws');
      expect(response.text).not.toMatch(/\bat .*\.ts:\d+/);
      if (status === 503) expect(response.headers.get('retry-after')).toBe('1');
      const logged = JSON.parse(service.logLines.at(-1)!) as { code: string; detail?: string };
      expect(logged.code).toBe(code);
    } finally {
      await service.close();
    }
  });

  it('maps an unreachable Cognito endpoint to 502 and stays up', async () => {
    const dead = new CognitoIdentityClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDTOKENSERVICETEST', secretAccessKey: 'x' } });
    const offline = await startTokenService(cognito, issuer, { cognito: dead });
    try {
      const response = await offline.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('sam') });
      expect(response.status).toBe(502);
      expect(response.body.error).toEqual({ code: 'upstream_error', message: 'Cognito could not answer the request.' });
      expect((await offline.request('/healthz')).status).toBe(200);
    } finally {
      await offline.close();
    }
  });

  it("answers 503 when the session issuer's JWKS cannot be fetched", async () => {
    const service = await startTokenService(cognito, issuer, {
      authenticator: createOidcAuthenticator({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: 'http://127.0.0.1:9/jwks.json' }),
    });
    try {
      const response = await service.request('/v1/token', { method: 'POST', session: await issuer.sessionToken('sam') });
      expect(response.status).toBe(503);
      expect((response.body.error as { code: string }).code).toBe('upstream_unavailable');
    } finally {
      await service.close();
    }
  });
});
