import { GetCredentialsForIdentityCommand, GetOpenIdTokenForDeveloperIdentityCommand, LookupDeveloperIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPER_POOL, startLocalCognito, type LocalCognito } from './local-cognito-fixture.ts';

let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito();
});
afterAll(() => cognito.close());

describe('a restart over the same data directory', () => {
  it('keeps identities, the signing key and issued credentials', async () => {
    const { IdentityId, Token } = await cognito.developerClient().send(
      new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: DEVELOPER_POOL.identityPoolId, Logins: { 'login.example.app': 'restart-user' } }),
    );
    const { Credentials } = await cognito.publicClient().send(
      new GetCredentialsForIdentityCommand({ IdentityId, Logins: { 'cognito-identity.amazonaws.com': Token! } }),
    );
    const jwksBefore = await (await fetch(`${cognito.endpoint}/.well-known/jwks.json`)).json();
    const issuedBefore = cognito.credentialStore.findByAccessKeyId(Credentials!.AccessKeyId!);

    await cognito.restart();

    expect(await (await fetch(`${cognito.endpoint}/.well-known/jwks.json`)).json()).toEqual(jwksBefore);
    expect(cognito.credentialStore.findByAccessKeyId(Credentials!.AccessKeyId!)).toEqual(issuedBefore);
    const lookup = await cognito.developerClient().send(
      new LookupDeveloperIdentityCommand({ IdentityPoolId: DEVELOPER_POOL.identityPoolId, DeveloperUserIdentifier: 'restart-user' }),
    );
    expect(lookup.IdentityId).toBe(IdentityId);
    // A token issued before the restart still verifies.
    await expect(
      cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: { 'cognito-identity.amazonaws.com': Token! } })),
    ).resolves.toHaveProperty('Credentials');
  });
});
