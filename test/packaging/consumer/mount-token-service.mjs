// Runs in a fresh project that installed the packed tarball: a backend mounting the token service's Hono app.
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { createHmacAuthenticator, createTokenServiceApp, handler } from 'scoped-s3-storage/token-service';

const app = createTokenServiceApp({
  cognito: new CognitoIdentityClient({ region: 'eu-west-1' }),
  identityPoolId: 'eu-west-1:00000000-0000-0000-0000-000000000000',
  developerProviderName: 'login.example.app',
  authenticator: createHmacAuthenticator({ secret: async () => 'a'.repeat(64), issuer: 'login.example.app', audience: 'eu-west-1:00000000-0000-0000-0000-000000000000' }),
  logSink: () => {},
});
const health = await app.request('/healthz');
const token = await app.request('/v1/token', { method: 'POST', headers: { authorization: 'Bearer not-a-jwt', 'content-type': 'application/json' }, body: '{}' });

process.stdout.write(
  JSON.stringify({
    resolved: import.meta.resolve('scoped-s3-storage/token-service'),
    health: { status: health.status, body: await health.json() },
    token: { status: token.status, body: await token.json() },
    lambdaHandler: typeof handler,
  }),
);
