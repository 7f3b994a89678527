import {
  DescribeIdentityCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
  MergeDeveloperIdentitiesCommand,
  UnlinkDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectServiceError } from '../service-error-assertions.ts';
import { DEVELOPER_POOL, GUEST_POOL, startLocalCognito, type LocalCognito } from './local-cognito-fixture.ts';

const PROVIDER = DEVELOPER_POOL.developerProviderName;
const COGNITO_LOGIN = 'cognito-identity.amazonaws.com';
let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito();
});
afterAll(() => cognito.close());

async function signIn(user: string, pool = DEVELOPER_POOL, IdentityId?: string): Promise<{ identityId: string; token: string }> {
  const output = await cognito.developerClient().send(
    new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: pool.identityPoolId, IdentityId, Logins: { [pool.developerProviderName]: user } }),
  );
  return { identityId: output.IdentityId!, token: output.Token! };
}

function unlink(identityId: string, user: string, pool = DEVELOPER_POOL) {
  return cognito.developerClient().send(
    new UnlinkDeveloperIdentityCommand({
      IdentityPoolId: pool.identityPoolId,
      IdentityId: identityId,
      DeveloperProviderName: pool.developerProviderName,
      DeveloperUserIdentifier: user,
    }),
  );
}

/** Every way a client or the backend could still reach an identity. */
async function expectInaccessible(identityId: string, token: string, pool = DEVELOPER_POOL): Promise<void> {
  const forbidden = `Access to Identity '${identityId}' is forbidden.`;
  const client = cognito.publicClient();
  const logins = { [COGNITO_LOGIN]: token };
  expect((await expectServiceError(client.send(new GetOpenIdTokenCommand({ IdentityId: identityId, Logins: logins })), 'NotAuthorizedException', 400)).message).toBe(forbidden);
  expect((await expectServiceError(client.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins })), 'NotAuthorizedException', 400)).message).toBe(
    forbidden,
  );
  await expectServiceError(client.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId })), 'NotAuthorizedException', 400);
  await expectServiceError(client.send(new GetIdCommand({ IdentityPoolId: pool.identityPoolId, Logins: logins })), 'NotAuthorizedException', 400);
  // Nor can the backend hand the identity to anybody else.
  const relink = cognito.developerClient().send(
    new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: pool.identityPoolId, IdentityId: identityId, Logins: { [pool.developerProviderName]: `new-owner-of-${identityId}` } }),
  );
  expect((await expectServiceError(relink, 'NotAuthorizedException', 400)).message).toBe(forbidden);
}

describe('an identity whose last login was unlinked', () => {
  it('refuses GetOpenIdToken, GetCredentialsForIdentity, GetId and relinking with NotAuthorizedException, also after a restart', async () => {
    const { identityId, token } = await signIn('deleted-account');
    // The token works while the login is linked.
    await expect(cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: { [COGNITO_LOGIN]: token } }))).resolves.toHaveProperty(
      'Credentials',
    );

    await unlink(identityId, 'deleted-account');
    await expectInaccessible(identityId, token);
    await cognito.restart();
    await expectInaccessible(identityId, token);

    // The backend can still see it, without logins, and the user starts over with a new identity.
    await expect(cognito.developerClient().send(new DescribeIdentityCommand({ IdentityId: identityId }))).resolves.toMatchObject({ IdentityId: identityId, Logins: [] });
    const next = await signIn('deleted-account');
    expect(next.identityId).not.toBe(identityId);
    await expect(
      cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: next.identityId, Logins: { [COGNITO_LOGIN]: next.token } })),
    ).resolves.toHaveProperty('Credentials');
  });

  it('applies to a guest identity that was upgraded and then unlinked: it does not fall back to guest access', async () => {
    const client = cognito.publicClient();
    const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: GUEST_POOL.identityPoolId }));
    const { token } = await signIn('upgraded-then-deleted', GUEST_POOL, IdentityId);
    await unlink(IdentityId!, 'upgraded-then-deleted', GUEST_POOL);
    await expectInaccessible(IdentityId!, token, GUEST_POOL);
    await expectServiceError(client.send(new GetOpenIdTokenCommand({ IdentityId })), 'NotAuthorizedException', 400);
  });

  it('stays accessible while another login is linked (after a merge), and a guest that never had a login stays a guest', async () => {
    const merged = await signIn('merge-keeper');
    await signIn('merge-leaver');
    await cognito.developerClient().send(
      new MergeDeveloperIdentitiesCommand({ IdentityPoolId: DEVELOPER_POOL.identityPoolId, DeveloperProviderName: PROVIDER, SourceUserIdentifier: 'merge-leaver', DestinationUserIdentifier: 'merge-keeper' }),
    );
    await unlink(merged.identityId, 'merge-keeper');
    const { identityId, token } = await signIn('merge-leaver');
    expect(identityId).toBe(merged.identityId);
    await expect(cognito.publicClient().send(new GetOpenIdTokenCommand({ IdentityId: identityId, Logins: { [COGNITO_LOGIN]: token } }))).resolves.toHaveProperty('Token');

    const guest = await cognito.publicClient().send(new GetIdCommand({ IdentityPoolId: GUEST_POOL.identityPoolId }));
    await expect(cognito.publicClient().send(new GetCredentialsForIdentityCommand({ IdentityId: guest.IdentityId }))).resolves.toHaveProperty('Credentials');
  });
});
