import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import { S3Client } from '@aws-sdk/client-s3';
import { fromCognitoIdentity } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity } from '@smithy/types';
import { startLocalCloud, type RunningLocalCloud } from '../../../infra/local/local-cloud.ts';
import type { LocalCloudOptions } from '../../../infra/local/local-cloud-options.ts';

/** A Cognito identity signed in through the developer flow, with an S3 client of its own. */
export interface SignedInIdentity {
  identityId: string;
  /** The OpenID token the developer call returned. */
  token: string;
  /** `users/<identityId>/` */
  prefix: string;
  /** An S3 client whose credentials come from `fromCognitoIdentity` (refreshed by the SDK). */
  s3: S3Client;
}

export interface ComposedCloud {
  cloud: RunningLocalCloud;
  stateDirectory: string;
  dataDirectory: string;
  bucket: string;
  region: string;
  /** Trusts the local cloud's CA. */
  requestHandler: NodeHttpHandler;
  caCertificate: Buffer;
  /** Cognito client signing with the token service role's credentials (what the token service uses). */
  developer: CognitoIdentityClient;
  /** Cognito client for the public (unsigned) APIs. */
  publicCognito: CognitoIdentityClient;
  /** GetOpenIdTokenForDeveloperIdentity for `user` (with a `tenant` principal tag when given). */
  openIdToken(user: string, options?: { tags?: Record<string, string>; tokenDurationSeconds?: number }): Promise<{ identityId: string; token: string }>;
  /** The whole developer flow: token, then an S3 client with `fromCognitoIdentity` credentials. */
  signIn(user: string, options?: { tags?: Record<string, string> }): Promise<SignedInIdentity>;
  /** A guest identity (GetId without logins), when the pool allows guests. */
  signInAsGuest(): Promise<SignedInIdentity>;
  /** One GetCredentialsForIdentity exchange, as plain static credentials. */
  exchange(identityId: string, token?: string): Promise<AwsCredentialIdentity & { expiration: Date }>;
  /** An S3 client with fixed credentials (they are never refreshed). */
  s3With(credentials: AwsCredentialIdentity): S3Client;
  /** Cognito client signing with arbitrary credentials. */
  cognitoWith(credentials: SigningKeys): CognitoIdentityClient;
  /** Closes the cloud; removes the state directory unless it was given. */
  close(): Promise<void>;
}

const DEVELOPER_LOGIN = 'cognito-identity.amazonaws.com';

/** The parts of any credentials (SDK or issued by the local cloud) that sign a request. */
type SigningKeys = Pick<AwsCredentialIdentity, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;

/**
 * Starts the composed local cloud (stack synthesized in-process, Cognito + S3 on one port) in a
 * temporary state directory, and builds the real AWS SDK clients a test talks to it with.
 */
export async function startComposedCloud(options: LocalCloudOptions = {}): Promise<ComposedCloud> {
  const ownsState = options.stateDirectory === undefined;
  // An own state directory sits alone in a private folder, so tests can check nothing was written (or removed) beside it.
  const workDirectory = ownsState ? await mkdtemp(join(tmpdir(), 'composed-cloud-')) : undefined;
  const stateDirectory = options.stateDirectory ?? join(workDirectory!, 'state');
  const cloud = await startLocalCloud({ ...options, stateDirectory });
  const caCertificate = await readFile(cloud.caCertificatePath);
  const requestHandler = new NodeHttpHandler({ httpsAgent: new Agent({ keepAlive: true, ca: caCertificate }) });
  const region = cloud.outputs.region;
  const endpoint = cloud.httpsEndpoint;
  const tokenServiceCredentials = cloud.tokenServiceCredentials;
  if (!tokenServiceCredentials) throw new Error('the stack has no token service role');

  const cognitoWith = ({ accessKeyId, secretAccessKey, sessionToken }: SigningKeys) =>
    new CognitoIdentityClient({ region, endpoint, requestHandler, credentials: { accessKeyId, secretAccessKey, sessionToken }, maxAttempts: 1 });
  const developer = cognitoWith(tokenServiceCredentials);
  const publicCognito = new CognitoIdentityClient({ region, endpoint, requestHandler, maxAttempts: 1 });
  const s3With = (credentials: AwsCredentialIdentity | (() => Promise<AwsCredentialIdentity>)) =>
    new S3Client({ region, endpoint, forcePathStyle: true, requestHandler, credentials, maxAttempts: 1 });

  const openIdToken: ComposedCloud['openIdToken'] = async (user, tokenOptions = {}) => {
    const response = await developer.send(
      new GetOpenIdTokenForDeveloperIdentityCommand({
        IdentityPoolId: cloud.outputs.identityPoolId,
        Logins: { [cloud.outputs.developerProviderName]: user },
        PrincipalTags: tokenOptions.tags,
        TokenDuration: tokenOptions.tokenDurationSeconds,
      }),
    );
    return { identityId: response.IdentityId!, token: response.Token! };
  };

  // Only the endpoint and the CA-trusting handler are set: the region comes from the S3 client.
  const identityS3 = (identityId: string, token?: string) =>
    s3With(fromCognitoIdentity({ identityId, ...(token ? { logins: { [DEVELOPER_LOGIN]: token } } : {}), clientConfig: { endpoint, requestHandler } }));

  return {
    cloud,
    stateDirectory,
    dataDirectory: join(stateDirectory, 'data'),
    bucket: cloud.outputs.bucket,
    region,
    requestHandler,
    caCertificate,
    developer,
    publicCognito,
    openIdToken,
    async signIn(user, signInOptions = {}) {
      const { identityId, token } = await openIdToken(user, { tags: signInOptions.tags });
      return { identityId, token, prefix: `users/${identityId}/`, s3: identityS3(identityId, token) };
    },
    async signInAsGuest() {
      const { IdentityId } = await publicCognito.send(new GetIdCommand({ IdentityPoolId: cloud.outputs.identityPoolId }));
      return { identityId: IdentityId!, token: '', prefix: `users/${IdentityId!}/`, s3: identityS3(IdentityId!) };
    },
    async exchange(identityId, token) {
      const { Credentials } = await publicCognito.send(
        new GetCredentialsForIdentityCommand({ IdentityId: identityId, ...(token ? { Logins: { [DEVELOPER_LOGIN]: token } } : {}) }),
      );
      return { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretKey!, sessionToken: Credentials!.SessionToken!, expiration: Credentials!.Expiration! };
    },
    s3With,
    cognitoWith,
    async close() {
      await cloud.close();
      requestHandler.destroy();
      if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
    },
  };
}
