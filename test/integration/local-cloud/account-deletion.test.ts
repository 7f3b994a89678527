import { GetOpenIdTokenCommand } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenServiceCognitoClient } from '../../../infra/local/token-service-cognito-client.ts';
import { startTokenServiceServer, type RunningTokenService } from '../../../token-service/adapters/node-server.ts';
import { createDevelopmentAuthenticator } from '../../../token-service/authenticators/development-authenticator.ts';
import { expectServiceError } from '../service-error-assertions.ts';
import { startComposedCloud, type ComposedCloud } from './composed-cloud.ts';

const CREDENTIALS_LIFETIME_SECONDS = 4;

/**
 * `DELETE /v1/identity` of the real token service against the composed local cloud: what account
 * deletion does (the identity becomes inaccessible, the user starts over with an empty prefix) and
 * what it does not (objects stay, credentials already issued live until they expire).
 */
describe('account deletion through the token service', () => {
  let composed: ComposedCloud;
  let tokenService: RunningTokenService;

  beforeAll(async () => {
    composed = await startComposedCloud({ credentialsLifetimeSeconds: CREDENTIALS_LIFETIME_SECONDS });
    tokenService = await startTokenServiceServer({
      cognito: await createTokenServiceCognitoClient(composed.cloud),
      identityPoolId: composed.cloud.outputs.identityPoolId,
      developerProviderName: composed.cloud.outputs.developerProviderName,
      authenticator: createDevelopmentAuthenticator(),
      logSink: () => undefined,
    });
  });
  afterAll(async () => {
    await tokenService?.close();
    await composed?.close();
  });

  async function call(path: string, method: string, session?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${tokenService.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session}` } : {}) },
      ...(path === '/v1/dev/session' ? { body: JSON.stringify({ user: 'leaving-user' }) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('makes the old identity inaccessible, leaves its objects and lets issued credentials expire on their own', async () => {
    const session = (await call('/v1/dev/session', 'POST')).body.sessionToken as string;
    const first = await call('/v1/token', 'POST', session);
    expect(first.status).toBe(200);
    const oldIdentityId = first.body.identityId as string;
    const oldToken = first.body.token as string;
    const oldPrefix = `users/${oldIdentityId}/`;
    const issuedBefore = await composed.exchange(oldIdentityId, oldToken);
    const oldS3 = composed.s3With(issuedBefore);
    await oldS3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: `${oldPrefix}before.txt`, Body: 'kept' }));

    const deleted = await call('/v1/identity', 'DELETE', session);
    expect(deleted).toEqual({ status: 200, body: { identityId: oldIdentityId, unlinked: true } });

    // The old token trades for nothing any more.
    const forbidden = `Access to Identity '${oldIdentityId}' is forbidden.`;
    expect((await expectServiceError(composed.exchange(oldIdentityId, oldToken), 'NotAuthorizedException', 400)).message).toBe(forbidden);
    const refresh = composed.publicCognito.send(new GetOpenIdTokenCommand({ IdentityId: oldIdentityId, Logins: { 'cognito-identity.amazonaws.com': oldToken } }));
    expect((await expectServiceError(refresh, 'NotAuthorizedException', 400)).message).toBe(forbidden);

    // Credentials issued before the deletion are not revoked (as on AWS) until they expire; the object stays.
    await oldS3.send(new PutObjectCommand({ Bucket: composed.bucket, Key: `${oldPrefix}after.txt`, Body: 'written after deletion' }));
    const listed = await oldS3.send(new ListObjectsV2Command({ Bucket: composed.bucket, Prefix: oldPrefix }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([`${oldPrefix}after.txt`, `${oldPrefix}before.txt`]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, issuedBefore.expiration.getTime() - Date.now()) + 1200));
    await expectServiceError(oldS3.send(new GetObjectCommand({ Bucket: composed.bucket, Key: `${oldPrefix}before.txt` })), 'ExpiredToken', 400);

    // The next token request gets a new identity with a new, empty prefix, which cannot reach the old one.
    const next = await call('/v1/token', 'POST', session);
    expect(next.status).toBe(200);
    const newIdentityId = next.body.identityId as string;
    expect(newIdentityId).not.toBe(oldIdentityId);
    const newS3 = composed.s3With(await composed.exchange(newIdentityId, next.body.token as string));
    const fresh = await newS3.send(new ListObjectsV2Command({ Bucket: composed.bucket, Prefix: `users/${newIdentityId}/` }));
    expect(fresh.KeyCount).toBe(0);
    await expectServiceError(newS3.send(new GetObjectCommand({ Bucket: composed.bucket, Key: `${oldPrefix}before.txt` })), 'AccessDenied', 403);
  });
});
