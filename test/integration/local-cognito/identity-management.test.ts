import {
  DeleteIdentitiesCommand,
  DescribeIdentityCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
  LookupDeveloperIdentityCommand,
  MergeDeveloperIdentitiesCommand,
  UnlinkDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPER_POOL, GUEST_POOL, GUEST_ROLE_ARN, startLocalCognito, type LocalCognito } from './local-cognito-fixture.ts';

const POOL_ID = DEVELOPER_POOL.identityPoolId;
const PROVIDER = DEVELOPER_POOL.developerProviderName;
let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito();
});
afterAll(() => cognito.close());

async function identityOf(user: string, IdentityId?: string, pool = DEVELOPER_POOL): Promise<string> {
  const output = await cognito.developerClient().send(
    new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: pool.identityPoolId, IdentityId, Logins: { [pool.developerProviderName]: user } }),
  );
  return output.IdentityId!;
}

function lookup(input: { IdentityId?: string; DeveloperUserIdentifier?: string; MaxResults?: number; NextToken?: string }) {
  return cognito.developerClient().send(new LookupDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, ...input }));
}

describe('linking developer users to identities', () => {
  it('gives the same user the same identity every time, and different users different identities', async () => {
    const first = await identityOf('user-1');
    expect(await identityOf('user-1')).toBe(first);
    expect(await identityOf('user-1', first)).toBe(first);
    expect(await identityOf('user-2')).not.toBe(first);
  });

  it('refuses to link a user already linked elsewhere, or to take over an identity of another user', async () => {
    const x = await identityOf('user-x');
    const y = await identityOf('user-y');
    await expect(identityOf('user-x', y)).rejects.toMatchObject({ name: 'ResourceConflictException' });
    await expect(identityOf('user-new', x)).rejects.toMatchObject({ name: 'ResourceConflictException' });
    await expect(identityOf('user-new', 'us-east-1:00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses developer calls without developer credentials, and on pools the caller may not use', async () => {
    const send = (pools?: string) =>
      (pools === undefined ? cognito.publicClient() : cognito.developerClient(pools)).send(
        new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { [PROVIDER]: 'user-z' } }),
      );
    await expect(send()).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(send(GUEST_POOL.identityPoolId)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(send(POOL_ID)).resolves.toHaveProperty('Token');
    const call = cognito.developerCalls.at(-1)!;
    expect(call).toMatchObject({ operation: 'GetOpenIdTokenForDeveloperIdentity', identityPoolId: POOL_ID, method: 'POST', path: '/' });
    expect(JSON.parse(Buffer.from(call.body).toString('utf8'))).toMatchObject({ IdentityPoolId: POOL_ID });
    expect(call.headers['x-amz-target']).toBe('AWSCognitoIdentityService.GetOpenIdTokenForDeveloperIdentity');
  });

  it('refuses logins of providers the pool does not trust, and unknown pools', async () => {
    await expect(
      cognito.developerClient().send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { 'graph.facebook.com': 'x' } })),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(
      cognito.developerClient().send(
        new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: 'us-east-1:99999999-9999-4999-8999-999999999999', Logins: { [PROVIDER]: 'x' } }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: expect.stringContaining('not found') });
  });
});

describe('LookupDeveloperIdentity', () => {
  it('finds the identity of a user and the users of an identity', async () => {
    const identityId = await identityOf('lookup-user');
    expect(await lookup({ DeveloperUserIdentifier: 'lookup-user' })).toMatchObject({ IdentityId: identityId, DeveloperUserIdentifierList: ['lookup-user'] });
    expect(await lookup({ IdentityId: identityId })).toMatchObject({ IdentityId: identityId, DeveloperUserIdentifierList: ['lookup-user'] });
    expect(await lookup({ IdentityId: identityId, DeveloperUserIdentifier: 'lookup-user' })).toMatchObject({ IdentityId: identityId });
  });

  it('answers ResourceNotFound for unknown users, ResourceConflict for a mismatched pair, InvalidParameter without either', async () => {
    const other = await identityOf('lookup-other');
    await expect(lookup({ DeveloperUserIdentifier: 'nobody' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(lookup({ IdentityId: other, DeveloperUserIdentifier: 'lookup-user' })).rejects.toMatchObject({ name: 'ResourceConflictException' });
    await expect(lookup({})).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('MergeDeveloperIdentities and UnlinkDeveloperIdentity', () => {
  it('merges the source user into the destination identity and removes the source identity', async () => {
    const source = await identityOf('merge-source');
    const destination = await identityOf('merge-destination');
    const merged = await cognito.developerClient().send(
      new MergeDeveloperIdentitiesCommand({
        IdentityPoolId: POOL_ID,
        DeveloperProviderName: PROVIDER,
        SourceUserIdentifier: 'merge-source',
        DestinationUserIdentifier: 'merge-destination',
      }),
    );
    expect(merged.IdentityId).toBe(destination);
    expect(await identityOf('merge-source')).toBe(destination);
    const page = await lookup({ IdentityId: destination, MaxResults: 1 });
    expect(page.DeveloperUserIdentifierList).toEqual(['merge-destination']);
    expect(await lookup({ IdentityId: destination, MaxResults: 1, NextToken: page.NextToken })).toMatchObject({
      DeveloperUserIdentifierList: ['merge-source'],
    });
    await expect(cognito.developerClient().send(new DescribeIdentityCommand({ IdentityId: source }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('unlinks a user, who then gets a new identity', async () => {
    const identityId = await identityOf('unlink-me');
    const unlink = () =>
      cognito.developerClient().send(
        new UnlinkDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DeveloperProviderName: PROVIDER, DeveloperUserIdentifier: 'unlink-me' }),
      );
    await unlink();
    await expect(unlink()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await identityOf('unlink-me')).not.toBe(identityId);
  });
});

describe('DescribeIdentity and DeleteIdentities', () => {
  it('describes an identity with its login providers and dates', async () => {
    const identityId = await identityOf('describe-me');
    const described = await cognito.developerClient().send(new DescribeIdentityCommand({ IdentityId: identityId }));
    expect(described).toMatchObject({ IdentityId: identityId, Logins: [PROVIDER] });
    expect(Math.abs(described.CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(described.LastModifiedDate!.getTime()).toBeGreaterThanOrEqual(described.CreationDate!.getTime());
  });

  it('deletes identities, reporting those in pools the caller may not touch as AccessDenied', async () => {
    const mine = await identityOf('delete-me');
    const foreign = await identityOf('keep-me', undefined, GUEST_POOL);
    const output = await cognito.developerClient(POOL_ID).send(new DeleteIdentitiesCommand({ IdentityIdsToDelete: [mine, foreign] }));
    expect(output.UnprocessedIdentityIds).toEqual([{ IdentityId: foreign, ErrorCode: 'AccessDenied' }]);
    await expect(cognito.developerClient().send(new DescribeIdentityCommand({ IdentityId: mine }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(cognito.developerClient().send(new DescribeIdentityCommand({ IdentityId: foreign }))).resolves.toMatchObject({ IdentityId: foreign });
    expect(await identityOf('delete-me')).not.toBe(mine);
  });
});

describe('guest identities', () => {
  it('gives guests an identity, a token and credentials of the unauthenticated role when the pool allows them', async () => {
    const client = cognito.publicClient();
    const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: GUEST_POOL.identityPoolId }));
    const { Token } = await client.send(new GetOpenIdTokenCommand({ IdentityId }));
    const claims = decodeJwt(Token!);
    expect(claims).toMatchObject({ sub: IdentityId, aud: GUEST_POOL.identityPoolId, amr: ['unauthenticated'] });
    expect(claims.exp! - claims.iat!).toBe(600);

    const withoutToken = await client.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    const issued = cognito.credentialStore.findByAccessKeyId(withoutToken.Credentials!.AccessKeyId!)!;
    expect(issued).toMatchObject({ roleArn: GUEST_ROLE_ARN, userId: 'AROAGUESTROLE0000000:CognitoIdentityCredentials' });
    expect(issued.sessionContext['cognito-identity.amazonaws.com:amr']).toEqual(['unauthenticated']);
    await expect(
      client.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: { 'cognito-identity.amazonaws.com': Token! } })),
    ).resolves.toHaveProperty('Credentials');
    expect(await client.send(new GetIdCommand({ IdentityPoolId: GUEST_POOL.identityPoolId, Logins: { 'cognito-identity.amazonaws.com': Token! } }))).toMatchObject({
      IdentityId,
    });
  });

  it('upgrades a guest identity to an authenticated one when the backend links a user to it', async () => {
    const client = cognito.publicClient();
    const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: GUEST_POOL.identityPoolId }));
    expect(await identityOf('upgraded-guest', IdentityId, GUEST_POOL)).toBe(IdentityId);
    await expect(client.send(new GetCredentialsForIdentityCommand({ IdentityId }))).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  it('refuses guests when the pool does not allow them', async () => {
    await expect(cognito.publicClient().send(new GetIdCommand({ IdentityPoolId: POOL_ID }))).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
    });
  });
});
