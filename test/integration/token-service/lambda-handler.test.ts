import { createVerify, generateKeyPairSync } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAccessRules } from '../../../infra/access-rules/default-access-rules.ts';
import { createLambdaHandler, type LambdaHandler } from '../../../token-service/adapters/lambda-handler.ts';
import { startTokenServiceServer, tokenServiceServerOptionsFromEnvironment, type RunningTokenService } from '../../../token-service/adapters/node-server.ts';
import { apiGatewayEvent, bundleLambdaHandler } from './lambda-events.ts';
import { oidcTokenServiceEnvironment, startLocalCognito, startTestIssuer, type LocalCognito, type TestIssuer } from './token-service-fixture.ts';

let cognito: LocalCognito;
let issuer: TestIssuer;
let environment: Record<string, string>;

beforeAll(async () => {
  [cognito, issuer] = await Promise.all([startLocalCognito(), startTestIssuer()]);
  environment = {
    ...oidcTokenServiceEnvironment(issuer),
    TOKEN_SERVICE_GUEST_JWKS_URL: cognito.jwksUrl,
    TOKEN_SERVICE_ALLOWED_ORIGINS: 'https://app.example.com',
  };
});
afterAll(() => Promise.all([cognito.close(), issuer.close()]));

describe('the Lambda handler and the Node server answer alike', () => {
  let lambda: LambdaHandler;
  let server: RunningTokenService;

  beforeAll(async () => {
    lambda = createLambdaHandler(environment, { cognito: cognito.tokenServiceClient(), logSink: () => undefined });
    server = await startTokenServiceServer({
      ...tokenServiceServerOptionsFromEnvironment(environment),
      port: 0,
      cognito: cognito.tokenServiceClient(),
      logSink: () => undefined,
    });
  });
  afterAll(() => server.close());

  async function both(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}) {
    const viaLambda = await lambda(apiGatewayEvent(method, path, options));
    const viaNode = await fetch(`${server.url}${path}`, { method, headers: options.headers, body: options.body });
    const lambdaHeaders = new Headers(viaLambda.headers as Record<string, string>);
    return {
      lambda: { status: viaLambda.statusCode, body: JSON.parse(viaLambda.body) as Record<string, unknown>, headers: lambdaHeaders },
      node: { status: viaNode.status, body: (await viaNode.json()) as Record<string, unknown>, headers: viaNode.headers },
    };
  }

  it('for the same requests', async () => {
    const session = await issuer.sessionToken('uma', { tenant: 'acme' });
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, string, { headers?: Record<string, string>; body?: string }]> = [
      ['GET', '/healthz', {}],
      ['POST', '/v1/token', {}],
      ['POST', '/v1/token', { headers: { authorization: 'Bearer nonsense' } }],
      ['POST', '/v1/token', { headers: { authorization: `Bearer ${session}`, ...json }, body: '{' }],
      ['POST', '/v1/token', { headers: { authorization: `Bearer ${session}`, ...json }, body: '{"guestToken": 1}' }],
      ['POST', '/v1/token', { headers: { authorization: `Bearer ${session}`, 'content-type': 'text/plain' }, body: 'hi' }],
      ['POST', '/v1/token', { headers: { authorization: `Bearer ${session}`, ...json }, body: `"${'x'.repeat(17_000)}"` }],
      ['GET', '/v1/token', {}],
      ['GET', '/nowhere', {}],
      ['POST', '/v1/dev/session', { headers: json, body: '{"user":"alice"}' }],
      ['GET', '/v1/admin/identities/uma', { headers: { authorization: `Bearer ${session}` } }],
      ['POST', '/v1/identities/lookup', { headers: { authorization: `Bearer ${session}`, ...json }, body: '{"userId":"uma"}' }],
      ['POST', '/v1/identities/lookup', { headers: { authorization: `Bearer ${session}`, ...json }, body: '{"userId":"nobody-here"}' }],
      ['POST', '/v1/identities/lookup', { headers: { authorization: `Bearer ${session}`, ...json }, body: '{"userId":""}' }],
      ['POST', '/v1/identities/lookup', { headers: json, body: '{"userId":"uma"}' }],
      ['GET', '/v1/identities/lookup', {}],
    ];
    // uma has an identity, so the lookups compare a 200 as well as the refusals.
    const issued = await lambda(apiGatewayEvent('POST', '/v1/token', { headers: { authorization: `Bearer ${session}` } }));
    expect(issued.statusCode).toBe(200);
    expect(JSON.parse(issued.body)).toMatchObject({ principalTags: { tenant: 'acme' } });
    const found = await both('POST', '/v1/identities/lookup', { headers: { authorization: `Bearer ${session}`, ...json }, body: '{"userId":"uma"}' });
    expect(found.lambda.body).toEqual({ userId: 'uma', identityId: (JSON.parse(issued.body) as { identityId: string }).identityId });
    for (const [method, path, options] of cases) {
      const { lambda: viaLambda, node: viaNode } = await both(method, path, options);
      expect(viaLambda, `${method} ${path}`).toMatchObject({ status: viaNode.status, body: viaNode.body });
      for (const header of ['allow', 'retry-after', 'www-authenticate', 'cache-control']) expect(viaLambda.headers.get(header)).toBe(viaNode.headers.get(header));
    }
  });

  it('for token requests: the same identity, each with a valid token', async () => {
    const session = await issuer.sessionToken('victor');
    const { lambda: viaLambda, node: viaNode } = await both('POST', '/v1/token', { headers: { authorization: `Bearer ${session}` } });
    expect(viaLambda.status).toBe(200);
    expect(viaNode.status).toBe(200);
    expect(viaLambda.body.identityId).toBe(viaNode.body.identityId);
    expect(Object.keys(viaLambda.body).sort()).toEqual(['expiresAt', 'identityId', 'principalTags', 'token']);
    expect(viaLambda.body.principalTags).toEqual({});
  });

  it('for CORS', async () => {
    const allowed = await both('GET', '/healthz', { headers: { origin: 'https://app.example.com' } });
    expect(allowed.lambda.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const refused = await both('GET', '/healthz', { headers: { origin: 'https://evil.example.com' } });
    expect(refused.lambda.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.node.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits a body whose Content-Length header understates it (413 whatever the header says)', async () => {
    const session = await issuer.sessionToken('uma');
    const headers = { authorization: `Bearer ${session}`, 'content-type': 'application/json', 'content-length': '2' };
    const answer = await lambda(apiGatewayEvent('POST', '/v1/token', { headers, body: `"${'x'.repeat(17_000)}"` }));
    expect(answer.statusCode).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'payload_too_large', message: 'Request bodies are limited to 16384 bytes.' } });
  });

  it('lets the IAM-authorized admin route through only with API Gateway\'s IAM authorizer context', async () => {
    const session = await issuer.sessionToken('wendy');
    const token = JSON.parse((await lambda(apiGatewayEvent('POST', '/v1/token', { headers: { authorization: `Bearer ${session}` } }))).body) as { identityId: string };
    const authorized = await lambda(apiGatewayEvent('GET', '/v1/admin/identities/wendy', { iam: true }));
    expect(authorized.statusCode).toBe(200);
    expect(JSON.parse(authorized.body)).toEqual({ identityId: token.identityId });
    const withSession = await lambda(apiGatewayEvent('GET', '/v1/admin/identities/wendy', { headers: { authorization: `Bearer ${session}` } }));
    expect(withSession.statusCode).toBe(403);
  });
});

describe('the development sign-in in the Lambda build', () => {
  let bundle: { path: string; code: string };
  beforeAll(async () => {
    bundle = await bundleLambdaHandler();
  });
  afterAll(() => rm(dirname(bundle.path), { recursive: true, force: true }));

  it('is not in the bundle at all', () => {
    expect(bundle.code).toContain('/v1/token');
    expect(bundle.code).not.toContain('/v1/dev/session');
    expect(bundle.code).not.toContain('dev/session');
    expect(bundle.code).not.toContain('urn:scoped-storage:token-service:development');
  });

  it('answers 404 on POST /v1/dev/session and refuses the development authenticator', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, environment, { TOKEN_SERVICE_COGNITO_ENDPOINT: cognito.endpoint, AWS_LAMBDA_FUNCTION_NAME: 'token-service', AWS_REGION: 'us-east-1' });
    try {
      const { handler } = (await import(pathToFileURL(bundle.path).href)) as { handler: LambdaHandler };
      const answer = await handler(apiGatewayEvent('POST', '/v1/dev/session', { headers: { 'content-type': 'application/json' }, body: '{"user":"alice"}' }));
      expect(answer.statusCode).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      process.env = saved;
    }
    expect(() => createLambdaHandler({ ...environment, TOKEN_SERVICE_AUTHENTICATOR: 'development' })).toThrow(/not part of the Lambda build/);
  });
});

describe('links from the Lambda build', () => {
  const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ScopedStorage/cdn-key-a-0f1e2d3c-AbCdEf';
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const secretReads: unknown[] = [];
  let secretsManager: Server;
  let bundle: { path: string; code: string };

  beforeAll(async () => {
    // A loopback stand-in of Secrets Manager's GetSecretValue, reached through the SDK client the bundle imports from the runtime.
    secretsManager = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: unknown };
        secretReads.push(body.SecretId);
        const known = request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue' && body.SecretId === secretArn;
        response
          .writeHead(known ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(known ? { ARN: secretArn, Name: 'ScopedStorage/cdn-key-a-0f1e2d3c', SecretString: privateKeyPem } : { __type: 'ResourceNotFoundException', message: 'not found' }));
      });
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
    bundle = await bundleLambdaHandler();
  });
  afterAll(async () => {
    await new Promise((resolve) => secretsManager.close(resolve));
    await rm(dirname(bundle.path), { recursive: true, force: true });
  });

  it('carries the CloudFront signer and the action lists, leaving only the SDK clients to the runtime', () => {
    expect(bundle.code).not.toMatch(/["']@aws-sdk\/cloudfront-signer["']/);
    expect(bundle.code).toMatch(/["']@aws-sdk\/client-secrets-manager["']/);
    expect(bundle.code).toContain('s3:GetObject');
  });

  it('signs a link with the key read from its secret, for another identity\'s protected file too, and refuses a key climbing out of its location', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, environment, {
      TOKEN_SERVICE_COGNITO_ENDPOINT: cognito.endpoint,
      TOKEN_SERVICE_CDN_URL: 'https://d111111abcdef8.cloudfront.net',
      TOKEN_SERVICE_CDN_KEY_PAIR_ID: 'K2JCJMDEHXQW5F',
      TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN: secretArn,
      TOKEN_SERVICE_BUCKET: 'scopedstorage-bucket-1',
      TOKEN_SERVICE_LOCATIONS: JSON.stringify(defaultAccessRules({ allowGuests: true })),
      TOKEN_SERVICE_LINK_MAX_SECONDS: '86400',
      AWS_LAMBDA_FUNCTION_NAME: 'token-service',
      AWS_REGION: 'us-east-1',
      // The function role's credentials, as the local Cognito of token-service-fixture.ts accepts them.
      AWS_ACCESS_KEY_ID: 'AKIDTOKENSERVICETEST',
      AWS_SECRET_ACCESS_KEY: 'token-service-test-secret',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`,
    });
    try {
      const { handler } = (await import(pathToFileURL(bundle.path).href)) as { handler: LambdaHandler };
      const session = await issuer.sessionToken('bundled-links-user', { tenant: 'acme' });
      const request = (body: unknown) => handler(apiGatewayEvent('POST', '/v1/links', { headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }));

      const answer = await request({ location: 'team', key: 'plan.pdf', expiresInSeconds: 600 });
      expect(answer.statusCode, answer.body).toBe(200);
      const url = new URL((JSON.parse(answer.body) as { url: string }).url);
      expect(`${url.origin}${url.pathname}`).toBe('https://d111111abcdef8.cloudfront.net/tenants/acme/plan.pdf');
      expect(url.searchParams.get('Key-Pair-Id')).toBe('K2JCJMDEHXQW5F');
      expect(url.searchParams.get('Hash-Algorithm')).toBe('SHA256');
      // The canned policy CloudFront rebuilds from the URL, verified with the public half of the key in the secret.
      const expires = Number(url.searchParams.get('Expires'));
      const policy = JSON.stringify({ Statement: [{ Resource: `${url.origin}${url.pathname}`, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
      const signature = Buffer.from(url.searchParams.get('Signature')!.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
      expect(createVerify('RSA-SHA256').update(policy).verify(keys.publicKey, signature)).toBe(true);
      expect(secretReads).toEqual([secretArn]);

      const otherIdentity = await request({ location: 'protected', key: 'us-east-1:00000000-0000-0000-0000-000000000000/photo.jpg' });
      expect(otherIdentity.statusCode).toBe(200);
      const climbing = await request({ location: 'private', key: '../someone-else/a.txt' });
      expect(climbing.statusCode).toBe(400);
      expect(secretReads).toEqual([secretArn]);
    } finally {
      process.env = saved;
    }
  });
});
