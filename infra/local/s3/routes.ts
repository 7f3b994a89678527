import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CredentialLookup } from '../credentials/issued-credentials.ts';
import { splitRequestTarget } from '../sigv4/signed-request.ts';
import { verifySigV4 } from '../sigv4/verify-sigv4.ts';
import type { AuthorizeS3Request, RequestContext } from './request-permissions/authorize-callback.ts';
import { permissionsFor } from './request-permissions/operation-permissions.ts';
import { buildRequestContext, type TransportFacts } from './request-permissions/s3-request-context.ts';
import { ObjectStore } from './model/object-store.ts';
import { AccessDenied, NoSuchBucket } from './s3-errors.ts';
import { S3_LIMITS, type StorageLimits } from './model/storage-limits.ts';
import { runOperation } from './operations/run-operation.ts';
import { answerPreflight, applyCorsHeaders, type CorsRule } from './protocol/s3-cors.ts';
import { isPostObjectRequest, parseOperation } from './protocol/parse-operation.ts';
import { servePostObject } from './post-object-route.ts';
import { PayloadOwner } from './protocol/payload-owner.ts';
import { describeError, renderError } from './protocol/render-error.ts';
import { nextRequestIds } from './protocol/request-ids.ts';
import { parseS3Request } from './protocol/s3-request.ts';

interface S3BucketOptions {
  name: string;
  /** The bucket's CORS rules (CloudFormation `CorsConfiguration.CorsRules`); none means CORS is not enabled. */
  corsRules?: CorsRule[];
}

export interface S3HandlerOptions {
  /** Objects and uploads live under `<dataDirectory>/s3/<bucket>/`. */
  dataDirectory: string;
  /** The buckets' state, when the caller opened it to share it (the local CDN reads the same models); else opened here from `dataDirectory`. */
  store?: ObjectStore;
  region: string;
  /** @default '000000000000' */
  accountId?: string;
  buckets: S3BucketOptions[];
  /** Who signed a request (by access key id). */
  credentials: CredentialLookup;
  /** The IAM decision for each action a request needs. */
  authorize: AuthorizeS3Request;
  /** `aws:SecureTransport` of a request: true for TLS, and for loopback plain HTTP when the local cloud treats it as secure. */
  isSecureTransport: (request: IncomingMessage) => boolean;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Lower limits for tests; S3's own by default. */
  limits?: Partial<StorageLimits>;
  /** A request body that sends nothing for this long fails with 400 RequestTimeout, as on S3. @default 20000 */
  bodyIdleTimeoutMs?: number;
  /** Told about failures answered as 500 InternalError. @default console.error */
  onInternalError?: (error: unknown) => void;
}

type S3RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** Unread request bodies are drained up to this much after an early error answer, then the connection is dropped. */
const MAX_DRAINED_BYTES = 16 * 1024 * 1024;

/** S3 closes a connection whose body stalls for about 20 seconds. */
const DEFAULT_BODY_IDLE_TIMEOUT_MS = 20_000;

/**
 * Opens the buckets' state and returns the handler serving S3's REST API in path style
 * (`/{bucket}/{key}`): CORS, SigV4 authentication, authorization of every action the
 * operation needs, then the operation. The returned promise never rejects.
 */
export async function createS3RequestHandler(options: S3HandlerOptions): Promise<S3RequestHandler> {
  const clock = options.clock ?? (() => new Date());
  const limits: StorageLimits = { ...S3_LIMITS, ...options.limits };
  const accountId = options.accountId ?? '000000000000';
  const bodyIdleTimeoutMs = options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS;
  const owner = { ID: createHash('sha256').update(accountId).digest('hex'), DisplayName: accountId };
  const onInternalError = options.onInternalError ?? ((error: unknown) => console.error('s3: internal error', error));
  const store = options.store ?? (await ObjectStore.open({ dataDirectory: options.dataDirectory, bucketNames: options.buckets.map((bucket) => bucket.name), clock }));
  const corsRules = new Map(options.buckets.map((bucket) => [bucket.name, bucket.corsRules ?? []]));

  async function serve(request: IncomingMessage, response: ServerResponse, method: string, target: ReturnType<typeof splitRequestTarget>): Promise<void> {
    const s3Request = parseS3Request(method, target.rawPath, target.query, request.headers);
    const rules = corsRules.get(s3Request.bucket);
    if (method === 'OPTIONS') {
      if (rules === undefined) throw new NoSuchBucket(s3Request.bucket);
      return answerPreflight(rules, request.headers, response, s3Request.key === '' ? 'BUCKET' : 'OBJECT');
    }
    applyCorsHeaders(rules ?? [], request.headers, method, response);
    const now = clock();
    if (isPostObjectRequest(s3Request)) {
      return servePostObject({
        request,
        s3Request,
        store,
        credentials: options.credentials,
        authorize: options.authorize,
        transport: transportFacts(request, options.isSecureTransport(request)),
        now,
        bodyIdleTimeoutMs,
        operationContext: { response, store, limits, region: options.region, accountId, owner, endpointUrl: endpointUrlOf(request) },
      });
    }
    const verified = await verifySigV4(
      { method, rawPath: target.rawPath, query: target.query, headers: request.headers },
      { service: 's3', region: options.region, credentials: options.credentials, now, doubleEncodePath: false },
    );
    if (!verified) throw new AccessDenied();
    const operation = parseOperation(s3Request, limits);
    const bucket = store.bucket(operation.bucket);
    const requestContext = buildRequestContext(verified, transportFacts(request, options.isSecureTransport(request)), now, options.region);
    const isAllowed = async (action: string, resource: string, extra: RequestContext = {}): Promise<boolean> =>
      (await options.authorize({ caller: verified.caller, action, resource, context: { ...requestContext, ...extra } })).allowed;
    const uploadEncryption = (uploadId: string): string | undefined => {
      try {
        return bucket.upload(uploadId, 'key' in operation ? operation.key : '').upload.attributes.encryption.algorithm;
      } catch {
        return undefined;
      }
    };
    for (const permission of permissionsFor(operation, s3Request, uploadEncryption)) {
      if (!(await isAllowed(permission.action, permission.resource, permission.context))) throw new AccessDenied();
    }
    const payload = new PayloadOwner(request, verified, bodyIdleTimeoutMs);
    try {
      await runOperation(operation, {
        request: s3Request,
        response,
        bucket,
        store,
        caller: verified.caller,
        openPayload: () => payload.open(),
        isAllowed,
        limits,
        region: options.region,
        accountId,
        owner,
        endpointUrl: endpointUrlOf(request),
      });
    } finally {
      payload.release();
    }
  }

  return async function handleS3Request(request, response) {
    const { requestId, hostId } = nextRequestIds();
    response.setHeader('x-amz-request-id', requestId);
    response.setHeader('x-amz-id-2', hostId);
    const method = request.method ?? 'GET';
    const target = splitRequestTarget(request.url ?? '/');
    try {
      await serve(request, response, method, target);
    } catch (error) {
      const answer = describeError(error);
      if (answer.code === 'InternalError') onInternalError(error);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      discardUnreadBody(request, response);
      renderError(response, answer, { resource: target.rawPath, requestId, method });
    }
  };
}

/** After an early answer the client may still be sending: read (a bounded amount of) the rest so it gets to see the answer. */
function discardUnreadBody(request: IncomingMessage, response: ServerResponse): void {
  if (request.complete || request.destroyed) return;
  response.setHeader('connection', 'close');
  let drained = 0;
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAINED_BYTES) request.destroy();
  });
  request.on('error', () => undefined);
  request.resume();
}

/** `http://host` as the client addressed the endpoint, for `Location` elements. */
function endpointUrlOf(request: IncomingMessage): string {
  return `${isTls(request) ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`;
}

function isTls(request: IncomingMessage): boolean {
  return (request.socket as TLSSocket).encrypted === true;
}

/** A connection's address and TLS version do not change between its requests: read once per connection. */
const connectionFacts = new WeakMap<IncomingMessage['socket'], { sourceIp: string; tlsVersion: string | undefined }>();

function transportFacts(request: IncomingMessage, secureTransport: boolean): TransportFacts {
  let facts = connectionFacts.get(request.socket);
  if (facts === undefined) {
    const protocol = isTls(request) ? (request.socket as TLSSocket).getProtocol() : null;
    facts = { sourceIp: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), tlsVersion: protocol?.startsWith('TLSv') ? protocol.slice(4) : undefined };
    connectionFacts.set(request.socket, facts);
  }
  const { sourceIp, tlsVersion } = facts;
  return { secureTransport, sourceIp, ...(tlsVersion !== undefined && { tlsVersion }) };
}
