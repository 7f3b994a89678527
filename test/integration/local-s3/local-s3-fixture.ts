import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { CredentialLookup, IssuedCredentials } from '../../../infra/local/credentials/issued-credentials.ts';
import type { S3AuthorizationRequest } from '../../../infra/local/s3/request-permissions/authorize-callback.ts';
import type { CorsRule } from '../../../infra/local/s3/protocol/s3-cors.ts';
import { createS3RequestHandler, type S3HandlerOptions } from '../../../infra/local/s3/routes.ts';

export const REGION = 'us-east-1';
export const BUCKET = 'scoped-storage-test';
export const ALLOWED_ORIGIN = 'http://localhost:5173';

export const CORS_RULES: CorsRule[] = [
  {
    AllowedOrigins: [ALLOWED_ORIGIN],
    AllowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
    AllowedHeaders: ['authorization', 'content-type', 'x-amz-*', 'amz-sdk-*'],
    ExposedHeaders: ['ETag', 'x-amz-checksum-crc32'],
    MaxAge: 3000,
  },
];

export interface TestIdentity {
  /** The identity id: its prefix is `users/<id>/`. */
  id: string;
  credentials: IssuedCredentials;
  client: S3Client;
  prefix: string;
}

export interface LocalS3 {
  endpoint: string;
  dataDirectory: string;
  alice: TestIdentity;
  bob: TestIdentity;
  /** Every authorization request the handler made, newest last. */
  decisions: S3AuthorizationRequest[];
  /** Adds credentials to the lookup (e.g. expired ones) and returns a client using them. */
  addCredentials(credentials: IssuedCredentials): S3Client;
  /** A new server and handler over the same data directory (the old one is closed). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Fabricates credentials as the local STS would issue them for a Cognito identity. */
export function issueCredentials(identityId: string, lifetimeSeconds = 3600): IssuedCredentials {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
    expiration: new Date(Date.now() + lifetimeSeconds * 1000).toISOString(),
    roleArn: 'arn:aws:iam::000000000000:role/AuthRole',
    sessionArn: `arn:aws:sts::000000000000:assumed-role/AuthRole/${identityId}`,
    userId: `AROATESTROLE:${identityId}`,
    sessionContext: {
      'cognito-identity.amazonaws.com:sub': identityId,
      'cognito-identity.amazonaws.com:aud': `${REGION}:pool`,
      'cognito-identity.amazonaws.com:amr': ['authenticated', 'login.example.app'],
    },
  };
}

/**
 * The stand-in for the IAM engine: each identity may touch only `users/<its id>/` (listing with
 * an `s3:prefix` under it), plus GetBucketLocation.
 */
export function ownPrefixOnly(request: S3AuthorizationRequest): { allowed: boolean } {
  const sub = request.caller.sessionContext['cognito-identity.amazonaws.com:sub'];
  const prefix = `users/${String(sub)}/`;
  if (request.context['aws:SecureTransport'] !== 'true') return { allowed: false };
  if (request.action === 's3:GetBucketLocation') return { allowed: true };
  if (request.action === 's3:ListBucket' || request.action === 's3:ListBucketMultipartUploads') {
    const requested = request.context['s3:prefix'];
    return { allowed: typeof requested === 'string' && requested.startsWith(prefix) };
  }
  return { allowed: request.resource.startsWith(`arn:aws:s3:::${BUCKET}/${prefix}`) };
}

export function s3Client(endpoint: string, credentials: IssuedCredentials, overrides: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    ...overrides,
  });
}

export async function startLocalS3(overrides: Partial<S3HandlerOptions> = {}): Promise<LocalS3> {
  // The data directory sits alone in a private folder, so tests can check nothing was written (or removed) beside it.
  const workDirectory = await mkdtemp(join(tmpdir(), 'local-s3-'));
  const dataDirectory = join(workDirectory, 'data');
  const known = new Map<string, IssuedCredentials>();
  const lookup: CredentialLookup = { findByAccessKeyId: (accessKeyId) => known.get(accessKeyId) };
  const decisions: S3AuthorizationRequest[] = [];
  let server: Server | undefined;
  let endpoint = '';

  async function listen(): Promise<void> {
    const handler = await createS3RequestHandler({
      dataDirectory,
      region: REGION,
      buckets: [{ name: BUCKET, corsRules: CORS_RULES }],
      credentials: lookup,
      authorize: (request) => {
        decisions.push(request);
        return ownPrefixOnly(request);
      },
      isSecureTransport: () => true,
      limits: { minPartBytes: 5 * 1024 * 1024 },
      ...overrides,
    });
    server = createServer((request, response) => void handler(request, response));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function closeServer(): Promise<void> {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  const identity = (id: string): TestIdentity => {
    const credentials = issueCredentials(id);
    known.set(credentials.accessKeyId, credentials);
    return { id, credentials, prefix: `users/${id}/`, client: s3Client(endpoint, credentials) };
  };

  await listen();
  const fixture: LocalS3 = {
    endpoint,
    dataDirectory,
    alice: identity(`${REGION}:alice-${randomBytes(4).toString('hex')}`),
    bob: identity(`${REGION}:bob-${randomBytes(4).toString('hex')}`),
    decisions,
    addCredentials(credentials) {
      known.set(credentials.accessKeyId, credentials);
      return s3Client(fixture.endpoint, credentials);
    },
    async restart() {
      await closeServer();
      await listen();
      fixture.endpoint = endpoint;
      for (const who of [fixture.alice, fixture.bob]) who.client = s3Client(endpoint, who.credentials);
    },
    async close() {
      await closeServer();
      await rm(workDirectory, { recursive: true, force: true });
    },
  };
  return fixture;
}
