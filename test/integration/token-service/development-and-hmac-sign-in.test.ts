import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenServiceServer, tokenServiceServerOptionsFromEnvironment, type RunningTokenService } from '../../../token-service/adapters/node-server.ts';
import { secretsManagerSecretSource } from '../../../token-service/adapters/secrets-manager-secret-source.ts';
import { createDevelopmentAuthenticator } from '../../../token-service/authenticators/development-authenticator.ts';
import { POOL, postJson, startLocalCognito, type LocalCognito } from './token-service-fixture.ts';

const HMAC_SECRET = 'shared-session-secret-of-the-app-backend-0123456789';
let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito();
});
afterAll(() => cognito.close());

function environmentFor(authenticator: Record<string, string>): Record<string, string> {
  return {
    TOKEN_SERVICE_IDENTITY_POOL_ID: POOL.identityPoolId,
    TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: POOL.developerProviderName,
    TOKEN_SERVICE_COGNITO_ENDPOINT: cognito.endpoint,
    ...authenticator,
  };
}

async function startFromEnvironment(environment: Record<string, string>, logSink: (line: string) => void = () => undefined): Promise<RunningTokenService> {
  return startTokenServiceServer({ ...tokenServiceServerOptionsFromEnvironment(environment), port: 0, cognito: cognito.tokenServiceClient(), logSink });
}

describe('development sign-in (local mode)', () => {
  let service: RunningTokenService;
  beforeAll(async () => {
    service = await startFromEnvironment(environmentFor({ TOKEN_SERVICE_AUTHENTICATOR: 'development' }));
  });
  afterAll(() => service.close());

  it('signs anyone in, with a tenant that becomes a principal tag', async () => {
    const signIn = await fetch(`${service.url}/v1/dev/session`, postJson({ user: 'alice', tenant: 'acme' }));
    expect(signIn.status).toBe(200);
    const { sessionToken } = (await signIn.json()) as { sessionToken: string };
    const token = await fetch(`${service.url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${sessionToken}` } });
    expect(token.status).toBe(200);
    const body = (await token.json()) as { token: string; principalTags: Record<string, string> };
    expect(decodeJwt(body.token)).toMatchObject({ amr: ['authenticated', 'login.example.app', expect.stringMatching(/:alice$/)], 'https://aws.amazon.com/tags': { principal_tags: { tenant: ['acme'] } } });
    expect(body.principalTags).toEqual({ tenant: 'acme' });
  });

  it('answers the signed-in tenant as principalTags, exactly as typed, and {} without one', async () => {
    for (const [tenant, principalTags] of [['Acme Corp', { tenant: 'Acme Corp' }], ['東京-team', { tenant: '東京-team' }], [undefined, {}]] as const) {
      const signIn = await fetch(`${service.url}/v1/dev/session`, postJson({ user: 'tag-checker', ...(tenant === undefined ? {} : { tenant }) }));
      const { sessionToken } = (await signIn.json()) as { sessionToken: string };
      const token = await fetch(`${service.url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${sessionToken}` } });
      expect(token.status).toBe(200);
      expect(((await token.json()) as { principalTags: unknown }).principalTags).toEqual(principalTags);
    }
  });

  it('refuses a tenant that begins or ends with white space (" acme" would be a tenant apart from "acme"), with a 400 that says why', async () => {
    for (const tenant of [' acme', 'acme ', ' acme ', '   ', '\u00a0acme', 'acme\u3000', '\tacme', 'acme\n']) {
      const refused = await fetch(`${service.url}/v1/dev/session`, postJson({ user: 'alice', tenant }));
      expect(refused.status, JSON.stringify(tenant)).toBe(400);
      expect(await refused.json()).toEqual({
        error: { code: 'invalid_request', message: '"tenant" cannot be a principal tag value: it begins or ends with white space, and " acme" would be a tenant apart from "acme".' },
      });
    }
    expect((await fetch(`${service.url}/v1/dev/session`, postJson({ user: 'alice', tenant: 'acme corp' }))).status).toBe(200);
  });

  it('signs in identity-provider user ids such as auth0|abc', async () => {
    const signIn = await fetch(`${service.url}/v1/dev/session`, postJson({ user: 'auth0|abc' }));
    expect(signIn.status).toBe(200);
    const { sessionToken } = (await signIn.json()) as { sessionToken: string };
    const token = await fetch(`${service.url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${sessionToken}` } });
    expect(token.status).toBe(200);
  });

  it('refuses invalid users and tenants, and other methods', async () => {
    for (const body of [{}, { user: '' }, { user: 'a\u0000b' }, { user: 'x'.repeat(1025) }, { user: 'alice', tenant: '' }, { user: 'alice', tenant: 7 }, { user: 'alice', admin: true }]) {
      expect((await fetch(`${service.url}/v1/dev/session`, postJson(body))).status).toBe(400);
    }
    const wrongMethod = await fetch(`${service.url}/v1/dev/session`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('refuses a tenant that is not one whole path segment, with a 400 that says why', async () => {
    for (const tenant of ['acme/eu', '/', '.', '..']) {
      const refused = await fetch(`${service.url}/v1/dev/session`, postJson({ user: 'alice', tenant }));
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^"tenant" cannot be a principal tag value: .*one whole path segment/) } });
    }
  });

  it('cannot be created inside AWS Lambda', () => {
    expect(() => createDevelopmentAuthenticator({ environment: { AWS_LAMBDA_FUNCTION_NAME: 'token-service' } })).toThrow(/cannot run inside AWS Lambda/);
    expect(() => tokenServiceServerOptionsFromEnvironment({ ...environmentFor({ TOKEN_SERVICE_AUTHENTICATOR: 'development' }), AWS_LAMBDA_FUNCTION_NAME: 'x' })).toThrow(
      /cannot run inside AWS Lambda/,
    );
  });

  it('is not mounted with another authenticator', async () => {
    const hmac = await startFromEnvironment(environmentFor({ TOKEN_SERVICE_AUTHENTICATOR: 'hmac', TOKEN_SERVICE_HMAC_SECRET: HMAC_SECRET }));
    try {
      expect((await fetch(`${hmac.url}/v1/dev/session`, postJson({ user: 'alice' }))).status).toBe(404);
    } finally {
      await hmac.close();
    }
  });
});

describe('shared-secret (HS256) sessions', () => {
  /** What the app backend signs by default: `iss` the developer provider name, `aud` the identity pool id. */
  const DEFAULT_CLAIMS = { issuer: POOL.developerProviderName, audience: POOL.identityPoolId };
  const sign = (secret: string, user = 'bob', algorithm = 'HS256', claims: { issuer?: string; audience?: string } = DEFAULT_CLAIMS) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: algorithm }).setSubject(user).setExpirationTime('5m');
    if (claims.issuer !== undefined) jwt.setIssuer(claims.issuer);
    if (claims.audience !== undefined) jwt.setAudience(claims.audience);
    return jwt.sign(new TextEncoder().encode(secret));
  };
  const tokenRequest = async (service: RunningTokenService, token: string) => {
    const response = await fetch(`${service.url}/v1/token`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
  };

  it('accepts tokens signed with the secret and refuses others', async () => {
    const service = await startFromEnvironment(environmentFor({ TOKEN_SERVICE_AUTHENTICATOR: 'hmac', TOKEN_SERVICE_HMAC_SECRET: HMAC_SECRET }));
    try {
      expect((await tokenRequest(service, await sign(HMAC_SECRET))).status).toBe(200);
      expect((await tokenRequest(service, await sign(`${HMAC_SECRET}-other`))).status).toBe(401);
      expect((await tokenRequest(service, await sign(HMAC_SECRET, 'bob', 'HS512'))).status).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('refuses by default a token without the right iss and aud (developer provider name, identity pool id)', async () => {
    const service = await startFromEnvironment(environmentFor({ TOKEN_SERVICE_AUTHENTICATOR: 'hmac', TOKEN_SERVICE_HMAC_SECRET: HMAC_SECRET }));
    try {
      for (const [claims, claim] of [
        [{}, 'iss'],
        [{ audience: POOL.identityPoolId }, 'iss'],
        [{ issuer: POOL.developerProviderName }, 'aud'],
        [{ issuer: 'https://another-backend.example', audience: POOL.identityPoolId }, 'iss'],
        [{ issuer: POOL.developerProviderName, audience: 'us-east-1:00000000-0000-4000-8000-000000000000' }, 'aud'],
      ] as const) {
        const refused = await tokenRequest(service, await sign(HMAC_SECRET, 'bob', 'HS256', claims));
        expect(refused).toEqual({ status: 401, body: { error: { code: 'unauthenticated', message: `The session token's ${claim} claim is not accepted.` } } });
      }
    } finally {
      await service.close();
    }
  });

  it('checks the iss and aud that TOKEN_SERVICE_HMAC_ISSUER and TOKEN_SERVICE_HMAC_AUDIENCE name instead', async () => {
    const service = await startFromEnvironment(
      environmentFor({ TOKEN_SERVICE_AUTHENTICATOR: 'hmac', TOKEN_SERVICE_HMAC_SECRET: HMAC_SECRET, TOKEN_SERVICE_HMAC_ISSUER: 'https://backend.example.app', TOKEN_SERVICE_HMAC_AUDIENCE: 'photos' }),
    );
    try {
      expect((await tokenRequest(service, await sign(HMAC_SECRET, 'bob', 'HS256', { issuer: 'https://backend.example.app', audience: 'photos' }))).status).toBe(200);
      expect((await tokenRequest(service, await sign(HMAC_SECRET))).status).toBe(401);
    } finally {
      await service.close();
    }
  });

  describe('user hashes in the request log', () => {
    /** The userHash one service instance logs for a successful token request by `user`. */
    async function loggedUserHash(environment: Record<string, string>, user: string): Promise<string> {
      const lines: string[] = [];
      const service = await startFromEnvironment(environment, (line) => lines.push(line));
      try {
        expect((await tokenRequest(service, await sign(HMAC_SECRET, user))).status).toBe(200);
      } finally {
        await service.close();
      }
      const hashes = lines.map((line) => (JSON.parse(line) as { userHash?: string }).userHash).filter((hash) => hash !== undefined);
      expect(hashes).toHaveLength(1);
      return hashes[0]!;
    }
    const plainSha256Prefix = (userId: string) => createHash('sha256').update(userId).digest('hex').slice(0, 16);
    const hmac = { TOKEN_SERVICE_AUTHENTICATOR: 'hmac', TOKEN_SERVICE_HMAC_SECRET: HMAC_SECRET };

    it('are keyed with a key derived from the session secret: not a guessable SHA-256, the same on every instance', async () => {
      const first = await loggedUserHash(environmentFor(hmac), 'alice-s');
      expect(first).not.toBe(plainSha256Prefix('alice-s'));
      expect(await loggedUserHash(environmentFor(hmac), 'alice-s')).toBe(first);
    });

    it('are keyed with TOKEN_SERVICE_LOG_HASH_SECRET when it is set', async () => {
      const withSecret = environmentFor({ ...hmac, TOKEN_SERVICE_LOG_HASH_SECRET: 'log-hash-secret-of-this-deployment-0123' });
      const keyed = await loggedUserHash(withSecret, 'alice-s');
      expect(keyed).not.toBe(plainSha256Prefix('alice-s'));
      expect(keyed).not.toBe(await loggedUserHash(environmentFor(hmac), 'alice-s'));
      expect(await loggedUserHash(withSecret, 'alice-s')).toBe(keyed);
    });
  });

  it('reads the secret from Secrets Manager with a signed GetSecretValue call', async () => {
    const seen: Array<{ target?: string; authorization?: string; body: string }> = [];
    const secretsManager = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ target: request.headers['x-amz-target'] as string, authorization: request.headers.authorization, body });
        if (!body.includes('session-AbCdEf')) {
          response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ SecretString: HMAC_SECRET }));
      });
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
    try {
      const secretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:session-AbCdEf';
      const read = secretsManagerSecretSource({
        secretArn,
        endpoint: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}/`,
        credentials: async () => ({ accessKeyId: 'AKIDTOKENSERVICETEST', secretAccessKey: 'secret' }),
      });
      expect(await read()).toBe(HMAC_SECRET);
      expect(seen).toEqual([
        { target: 'secretsmanager.GetSecretValue', authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDTOKENSERVICETEST\/\d{8}\/us-east-1\/secretsmanager\/aws4_request/), body: JSON.stringify({ SecretId: secretArn }) },
      ]);

      const missing = secretsManagerSecretSource({
        secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:gone-XyZ123',
        endpoint: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}/`,
        credentials: async () => ({ accessKeyId: 'AKIDTOKENSERVICETEST', secretAccessKey: 'secret' }),
      });
      await expect(missing()).rejects.toThrow('Secrets Manager refused GetSecretValue (400 ResourceNotFoundException).');
    } finally {
      secretsManager.close();
    }
  });
});
