import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAccessRules } from '../../../infra/access-rules/default-access-rules.ts';
import { createLambdaHandler } from '../../../token-service/adapters/lambda-handler.ts';
import { apiGatewayEvent } from './lambda-events.ts';
import { oidcTokenServiceEnvironment, startLocalCognito, startTestIssuer, type LocalCognito, type TestIssuer } from './token-service-fixture.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ScopedStorage-CdnPrivateKey-AbCdEf';
const privateKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let cognito: LocalCognito;
let issuer: TestIssuer;
let environment: Record<string, string>;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  // The function's environment as the stack sets it with delivery on: the key only by its secret's ARN.
  environment = {
    ...oidcTokenServiceEnvironment(issuer),
    TOKEN_SERVICE_CDN_URL: 'https://d111111abcdef8.cloudfront.net',
    TOKEN_SERVICE_CDN_KEY_PAIR_ID: 'K2JCJMDEHXQW5F',
    TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN: SECRET_ARN,
    TOKEN_SERVICE_BUCKET: 'scopedstorage-bucket-1',
    TOKEN_SERVICE_LOCATIONS: JSON.stringify(defaultAccessRules({ allowGuests: true })),
    TOKEN_SERVICE_LINK_MAX_SECONDS: '86400',
  };
});
afterAll(() => Promise.all([cognito.close(), issuer.close()]));

describe('links from the Lambda handler', () => {
  it('reads the key from its secret once, on the first link, and signs with it from then on', async () => {
    const reads: string[] = [];
    const handler = createLambdaHandler(environment, {
      cognito: cognito.tokenServiceClient(),
      logSink: () => undefined,
      secretSource: (secretArn) => async () => {
        reads.push(secretArn);
        return privateKeyPem;
      },
    });
    expect(reads).toEqual([]);
    const session = await issuer.sessionToken('lambda-user', { tenant: 'acme' });
    const request = (path: string, body: unknown) => handler(apiGatewayEvent('POST', path, { headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    const first = await request('/v1/links', { location: 'team', key: 'plan.pdf' });
    expect(first.statusCode).toBe(200);
    expect((JSON.parse(first.body) as { url: string }).url).toMatch(/^https:\/\/d111111abcdef8\.cloudfront\.net\/tenants\/acme\/plan\.pdf\?Expires=\d+&Key-Pair-Id=K2JCJMDEHXQW5F&Signature=[\w~-]+&Hash-Algorithm=SHA256$/);
    const cookies = await request('/v1/links/cookies', {});
    expect(cookies.statusCode).toBe(200);
    // API Gateway payload 2.0 carries several Set-Cookie headers in `cookies`.
    expect((cookies as { cookies?: string[] }).cookies?.length ?? 0).toBeGreaterThan(0);
    expect((await request('/v1/links', { location: 'team', key: 'plan.pdf', expiresInSeconds: 86_401 })).statusCode).toBe(400);
    expect(reads).toEqual([SECRET_ARN]);
  });

  it('answers 503 and tries the secret again when Secrets Manager fails', async () => {
    let attempts = 0;
    const handler = createLambdaHandler(environment, {
      cognito: cognito.tokenServiceClient(),
      logSink: () => undefined,
      secretSource: () => async () => {
        attempts++;
        if (attempts === 1) throw new Error('Secrets Manager refused GetSecretValue (500 InternalServiceError).');
        return privateKeyPem;
      },
    });
    const session = await issuer.sessionToken('lambda-user-2');
    const request = () => handler(apiGatewayEvent('POST', '/v1/links', { headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify({ location: 'shared', key: 'a.txt' }) }));
    const failed = await request();
    expect(failed.statusCode).toBe(503);
    expect(JSON.parse(failed.body)).toEqual({ error: { code: 'upstream_unavailable', message: 'The CDN signing key is not available right now; try again shortly.' } });
    expect((await request()).statusCode).toBe(200);
    expect(attempts).toBe(2);
  });

  it('refuses to start with delivery partly configured', () => {
    const { TOKEN_SERVICE_BUCKET: _bucket, ...partial } = environment;
    expect(() => createLambdaHandler(partial, { cognito: cognito.tokenServiceClient() })).toThrow('Delivery is partly configured');
  });
});
