import type { IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createWebIdentityRoleAssumer } from './iam-authorization/assume-role-with-web-identity.ts';
import { createDeveloperCallAuthorizer } from './iam-authorization/authorize-developer-call.ts';
import { createS3Authorizer } from './iam-authorization/authorize-s3-request.ts';
import { createCognitoIdentityRequestHandler } from './cognito/routes.ts';
import { CredentialStore } from './credentials/credential-store.ts';
import type { IssuedCredentials } from './credentials/issued-credentials.ts';
import { readLocalDeployment, type LocalDeployment } from './deployment/read-local-deployment.ts';
import { loadStackTemplate } from '../stack/cached-stack-template.ts';
import type { LocalCloudOptions } from './local-cloud-options.ts';
import { locationOutputs, writeOutputsFile, type LocalOutputs } from './outputs-file.ts';
import { writeFileAtomic } from './persistence/atomic-file.ts';
import { asLocalDatabaseUnavailable, openLocalDatabase } from './persistence/local-database.ts';
import { asPortInUse } from './port-in-use-error.ts';
import { ObjectStore } from './s3/model/object-store.ts';
import { createS3RequestHandler } from './s3/routes.ts';
import { startDualProtocolServer } from './server/dual-protocol-server.ts';
import { loadOrCreateLocalCertificate } from './server/local-certificate.ts';
import { routeLocalRequest } from './server/route-local-request.ts';
import { startLocalCdnServer, type RunningLocalCdn } from './cdn/local-cdn-server.ts';
import { createOriginAuthorizer } from './cdn/model/origin-access.ts';

export interface RunningLocalCloud {
  /** `https://127.0.0.1:<port>`: for SDKs and tools (trust `caCertificatePath`). */
  httpsEndpoint: string;
  /** `http://localhost:<port>`: the same port in plain HTTP, for browsers on this machine. */
  httpEndpoint: string;
  port: number;
  outputs: LocalOutputs;
  outputsPath: string;
  caCertificatePath: string;
  deployment: LocalDeployment;
  credentialStore: CredentialStore;
  /** Credentials of the token service's role (also in a user-only file), when the stack has one. */
  tokenServiceCredentials: IssuedCredentials | undefined;
  tokenServiceCredentialsPath: string | undefined;
  /**
   * The local CDN's address (`http://localhost:<port>`, or `https://` when loopback HTTP is not
   * treated as secure), when the stack has a distribution. Signed links name this host.
   */
  cdnUrl: string | undefined;
  cdnPort: number | undefined;
  /** Rewrites the outputs file with the token service URL once it runs. */
  setTokenServiceUrl(url: string): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Starts Cognito Identity and S3 on one local port, enforcing the policies of the stack's
 * synthesized template, with state under the data directory.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<RunningLocalCloud> {
  const stateDirectory = resolve(options.stateDirectory ?? '.local');
  const dataDirectory = resolve(options.dataDirectory ?? join(stateDirectory, 'data'));
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const loopbackHttpIsSecure = options.loopbackHttpIsSecure ?? true;

  const synthesized = await loadStackTemplate({ assemblyDirectory: join(stateDirectory, 'cdk.out'), stack: options.stack, cacheDirectory: options.templateCacheDirectory });
  const deployment = await readLocalDeployment(synthesized, { accountId, region, dataDirectory, stateDirectory });
  const bucket = deployment.buckets[0];
  const pool = deployment.identityPools[0];
  if (!bucket || !pool) throw new Error('The synthesized stack has no bucket or no identity pool; the local cloud needs both.');

  // One connection for every store: their changes are synchronous transactions, so sharing it needs no coordination.
  const database = openLocalDatabase(dataDirectory);
  try {
    const credentialStore = await CredentialStore.open({ dataDirectory, database, maxCredentialsPerIdentity: options.maxCredentialsPerIdentity });
    const cognito = await createCognitoIdentityRequestHandler({
      dataDirectory,
      region,
      accountId,
      identityPools: deployment.identityPools,
      credentialStore,
      database,
      authorizeDeveloperCall: createDeveloperCallAuthorizer({ region, accountId, credentials: credentialStore, policies: deployment.policies, identityPools: deployment.identityPools }),
      assumeRoleWithWebIdentity: createWebIdentityRoleAssumer(deployment.policies, deployment.roleIds),
      ...(options.maxOpenIdTokenLifetimeSeconds === undefined ? {} : { maxOpenIdTokenLifetimeSeconds: options.maxOpenIdTokenLifetimeSeconds }),
      ...(options.credentialsLifetimeSeconds === undefined ? {} : { credentialsLifetimeSeconds: options.credentialsLifetimeSeconds }),
    });
    const clientIdleTimeoutMs = (options.clientIdleTimeoutSeconds ?? 20) * 1000;
    // One model of the buckets, shared by the S3 server and the CDN's origin reads, so the CDN sees what S3 holds without reading S3's files itself.
    const store = await ObjectStore.open({ dataDirectory, bucketNames: deployment.buckets.map((candidate) => candidate.name), clock: () => new Date(), database });
    const s3 = await createS3RequestHandler({
      dataDirectory,
      store,
      region,
      accountId,
      buckets: deployment.buckets,
      credentials: credentialStore,
      authorize: createS3Authorizer(deployment.policies),
      isSecureTransport: (request: IncomingMessage) => (request.socket as TLSSocket).encrypted === true || (loopbackHttpIsSecure && LOOPBACK_ADDRESSES.has(request.socket.remoteAddress ?? '')),
      bodyIdleTimeoutMs: clientIdleTimeoutMs,
    });

    const certificate = await loadOrCreateLocalCertificate(join(stateDirectory, 'tls'));
    const route = routeLocalRequest({ cognito: cognito.handleRequest, s3 }, { allowedHosts: options.allowedHosts });
    const server = await startDualProtocolServer({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      certificatePem: certificate.serverCertificatePem,
      keyPem: certificate.serverKeyPem,
      idleTimeoutMs: 2 * clientIdleTimeoutMs,
      listener: options.logRequests
        ? (request, response) => {
            const started = Date.now();
            response.on('finish', () => process.stderr.write(`${request.method} ${request.url} ${response.statusCode} ${Date.now() - started}ms\n`));
            route(request, response);
          }
        : route,
    });
    const host = options.host ?? '127.0.0.1';
    let cdn: RunningLocalCdn | undefined;
    try {
      cdn = await startCdn();
    } catch (error) {
      await server.close();
      throw asPortInUse(error, options.cdnPort ?? 0, 'the local CDN');
    }
    const cdnUrl = cdn && `${loopbackHttpIsSecure ? 'http' : 'https'}://localhost:${cdn.port}`;

    /** The distribution on its own port, reading the bucket through the bucket policy's OAC statement. */
    async function startCdn(): Promise<RunningLocalCdn | undefined> {
      const distribution = deployment.distribution;
      if (!distribution) return undefined;
      return startLocalCdnServer({
        host: options.host ?? '127.0.0.1',
        port: options.cdnPort ?? 0,
        certificatePem: certificate.serverCertificatePem,
        keyPem: certificate.serverKeyPem,
        idleTimeoutMs: 2 * clientIdleTimeoutMs,
        allowedHosts: options.allowedHosts,
        logRequests: options.logRequests,
        distribution,
        origin: store.bucket(distribution.originBucket),
        authorizeOrigin: createOriginAuthorizer({ bucketPolicy: deployment.policies.bucketPolicies.get(distribution.originBucket), distributionArn: distribution.arn, accountId }),
        isSecureTransport: (request) => (request.socket as TLSSocket).encrypted === true || (loopbackHttpIsSecure && LOOPBACK_ADDRESSES.has(request.socket.remoteAddress ?? '')),
      });
    }
    const httpsEndpoint = `https://${host}:${server.port}`;
    const httpEndpoint = `http://localhost:${server.port}`;

    let tokenServiceCredentials: IssuedCredentials | undefined;
    let tokenServiceCredentialsPath: string | undefined;
    const role = deployment.tokenServiceRole;
    if (role) {
      // The local token service signs its Cognito calls with its own role's credentials, so that role's policy is enforced here too.
      tokenServiceCredentials = await credentialStore.issueStatic({
        name: 'token-service',
        roleArn: role.arn,
        roleId: deployment.roleIds.get(role.arn)!,
        sessionName: 'token-service',
        lifetimeSeconds: options.tokenServiceCredentialsLifetimeSeconds ?? 12 * 3600,
        sessionContext: {},
      });
      tokenServiceCredentialsPath = join(stateDirectory, 'token-service-credentials.json');
      await writeFileAtomic(tokenServiceCredentialsPath, JSON.stringify(tokenServiceCredentials, null, 2));
    }

    const outputs: LocalOutputs = {
      region,
      bucket: bucket.name,
      identityPoolId: pool.identityPoolId,
      developerProviderName: pool.developerProviderName,
      ...(options.tokenServiceUrl ? { tokenServiceUrl: options.tokenServiceUrl } : {}),
      ...locationOutputs(deployment.outputs),
      ...(deployment.outputs.encryptionHeaderRequired === undefined ? {} : { encryptionHeaderRequired: deployment.outputs.encryptionHeaderRequired === 'true' }),
      ...(deployment.outputs.encryptionKeyArn === undefined ? {} : { encryptionKeyArn: deployment.outputs.encryptionKeyArn }),
      ...(cdnUrl ? { cdnUrl } : {}),
      endpoints: { cognitoIdentity: httpsEndpoint, s3: httpsEndpoint, ...(cdnUrl ? { cdn: cdnUrl } : {}) },
      caCertificate: certificate.caCertificatePath,
      jwksUrl: `${httpsEndpoint}/.well-known/jwks.json`,
    };
    const outputsPath = await writeOutputsFile(stateDirectory, outputs);

    return {
      httpsEndpoint,
      httpEndpoint,
      port: server.port,
      outputs,
      outputsPath,
      caCertificatePath: certificate.caCertificatePath,
      deployment,
      credentialStore,
      tokenServiceCredentials,
      tokenServiceCredentialsPath,
      cdnUrl,
      cdnPort: cdn?.port,
      async setTokenServiceUrl(url: string) {
        outputs.tokenServiceUrl = url;
        await writeOutputsFile(stateDirectory, outputs);
      },
      async close() {
        await Promise.all([server.close(), cdn?.close()]);
        database.close();
      },
    };
  } catch (error) {
    database.close();
    throw asLocalDatabaseUnavailable(error, dataDirectory);
  }
}
