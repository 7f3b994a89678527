import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StorageOutputs } from '../../../app/library/index.ts';
import { hmacSession } from '../../../infra/deployment-verification/verification-sessions.ts';
import { createHmacAuthenticator } from '../../../token-service/authenticators/hmac-authenticator.ts';

const OUTPUTS: StorageOutputs = { region: 'eu-west-1', bucket: 'bucket', identityPoolId: 'eu-west-1:00000000-0000-4000-8000-000000000000', developerProviderName: 'scoped-storage.example', tokenServiceUrl: 'https://token.example' };

describe('the HS256 test sessions npm run verify signs for the hmac authenticator', () => {
  const secret = randomBytes(48).toString('base64url');
  const authenticatorFor = (issuer: string, audience: string) => createHmacAuthenticator({ secret: async () => secret, issuer, audience });

  it('are accepted by the token service of the deployment, with the user id and the tenant claim', async () => {
    const session = await hmacSession(OUTPUTS, secret, { userId: 'verify-abc-alice', tenant: 'verify-abc-acme' });
    const authenticated = await authenticatorFor(OUTPUTS.developerProviderName, OUTPUTS.identityPoolId).authenticate(session);
    expect(authenticated.userId).toBe('verify-abc-alice');
    expect(authenticated.claims.tenant).toBe('verify-abc-acme');
  });

  it('are refused by another deployment (its identity pool) and under another secret', async () => {
    const session = await hmacSession(OUTPUTS, secret, { userId: 'verify-abc-carol' });
    await expect(authenticatorFor(OUTPUTS.developerProviderName, 'eu-west-1:11111111-1111-4111-8111-111111111111').authenticate(session)).rejects.toThrow();
    await expect(createHmacAuthenticator({ secret: async () => randomBytes(48).toString('base64url'), issuer: OUTPUTS.developerProviderName, audience: OUTPUTS.identityPoolId }).authenticate(session)).rejects.toThrow();
  });
});
