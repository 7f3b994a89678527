import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import type { TLSSocket } from 'node:tls';
import { AccessDenied, CdnError, InvalidUri, MethodNotAllowed, NoSuchKey } from './cdn-errors.ts';
import { behaviourFor, trustedKeys, type CacheBehaviour, type LocalDistribution } from './model/distribution.ts';
import type { AuthorizeOriginRequest } from './model/origin-access.ts';
import type { OriginBucket, OriginObject } from './model/origin-objects.ts';
import { forwardsQueryString } from './model/query-string-forwarding.ts';
import { ResponseCache } from './model/response-cache.ts';
import { writeEdgeHeaders } from './protocol/edge-headers.ts';
import { isNotModified, requestedRange, writeObjectHeaders } from './protocol/object-response.ts';
import { renderCdnError } from './protocol/render-cdn-error.ts';
import { answerResponseHeadersPreflight, applyResponseHeadersCors } from './protocol/response-headers-cors.ts';
import { writePolicyHeaders, type PolicyHeader } from './protocol/response-headers-policy-headers.ts';
import { readSignedRequestParameters } from './protocol/signed-request-parameters.ts';
import { verifySignedRequest } from './protocol/verify-signed-request.ts';

export interface CdnHandlerOptions {
  distribution: LocalDistribution;
  origin: OriginBucket;
  /** The bucket policy's decision for the distribution's origin requests. */
  authorizeOrigin: AuthorizeOriginRequest;
  cache?: ResponseCache;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Told about failures answered as 500. @default console.error */
  onInternalError?: (error: unknown) => void;
  /**
   * Whether a request came over a secure transport; the behaviours are HTTPS-only, so others are
   * refused (403), as CloudFront refuses HTTP to them. @default every request is
   */
  isSecureTransport?: (request: IncomingMessage) => boolean;
}

type CdnRequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** What the viewer asked for: the object key, and the URL its signature must cover. */
interface ViewerRequest {
  method: 'GET' | 'HEAD';
  rawPath: string;
  rawQuery: string;
  key: string;
}

/** The unread body of a GET or HEAD is read and dropped up to this much, then the connection is closed. */
const MAX_DISCARDED_BODY_BYTES = 1024 * 1024;
const PRINTABLE_HEADER_VALUE = /^[\x20-\x7e]*$/;
const RESPONSE_CONTENT_DISPOSITION = 'response-content-disposition';

/**
 * The local CloudFront distribution: picks the behaviour by path, verifies the signed URL or
 * cookies when the behaviour trusts a key group, answers from the cache or reads the object from
 * the origin bucket once the bucket policy allows the distribution to. Never rejects.
 */
export function createCdnRequestHandler(options: CdnHandlerOptions): CdnRequestHandler {
  const clock = options.clock ?? (() => new Date());
  const cache = options.cache ?? new ResponseCache();
  const onInternalError = options.onInternalError ?? ((error: unknown) => console.error('cdn: internal error', error));
  const bucketArn = `arn:aws:s3:::${options.origin.name}`;

  async function findObject(key: string, now: Date): Promise<OriginObject> {
    if (!options.authorizeOrigin('s3:GetObject', `${bucketArn}/${key}`, now).allowed) throw new AccessDenied();
    const object = await options.origin.get(key);
    if (object) return object;
    // S3 tells a missing key from a forbidden one only to callers who may list the bucket.
    if (options.authorizeOrigin('s3:ListBucket', bucketArn, now).allowed) throw new NoSuchKey();
    throw new AccessDenied();
  }

  /**
   * Reads a small object whole for the cache. A read that fails because the key was overwritten or
   * deleted between record and bytes is done again once, on what is there now; a read that fails
   * on the current record (its blob file lost) fails the request.
   */
  async function fetchForCache(key: string, object: OriginObject, now: Date): Promise<{ object: OriginObject; body: Buffer }> {
    try {
      return { object, body: await readWhole(object) };
    } catch (error) {
      const current = await findObject(key, now);
      if (sameBytes(object, current)) throw error;
      return { object: current, body: await readWhole(current) };
    }
  }

  async function readWhole(object: OriginObject): Promise<Buffer> {
    const bytes = await options.origin.read(object, 0, object.size - 1);
    return Buffer.isBuffer(bytes) ? bytes : buffer(bytes);
  }

  async function serve(request: IncomingMessage, response: ServerResponse, viewer: ViewerRequest, behaviour: CacheBehaviour): Promise<void> {
    if (options.isSecureTransport && !options.isSecureTransport(request)) throw new AccessDenied();
    const now = clock();
    const target = readSignedRequestParameters(viewer.rawQuery, request.headers.cookie);
    if (behaviour.trustedKeyIds.length > 0) {
      const origin = `${isTls(request) ? 'https' : 'http'}://${request.headers.host ?? ''}`;
      const query = target.parameters?.source === 'query' && target.remainingQuery !== '' ? `?${target.remainingQuery}` : '';
      verifySignedRequest(target.parameters, {
        resourceUrl: `${origin}${viewer.rawPath}${query}`,
        sourceIp: request.socket.remoteAddress ?? '',
        now,
        trustedKeys: trustedKeys(options.distribution, behaviour),
      });
    }
    // CORS comes from the behaviour's response headers policy, which overrides the origin's (the bucket's rules).
    applyResponseHeadersCors(behaviour.cors, request.headers, response);
    // S3 acts on response-content-disposition only when CloudFront forwards it: when the behaviour's cache (or origin request) policy lists it.
    const dispositionOverride = forwardsQueryString(behaviour.forwardedQueryStrings, RESPONSE_CONTENT_DISPOSITION) ? contentDispositionOverride(viewer.rawQuery) : undefined;
    const send = (object: OriginObject, cacheResult: 'Hit' | 'Miss', bytes: ByteSource) => sendObject(request, response, { viewer, object, cacheResult, dispositionOverride, policyHeaders: behaviour.policyHeaders }, bytes);

    const cached = cache.get(viewer.key);
    if (cached) {
      response.setHeader('age', cache.ageSeconds(cached));
      return send(cached.object, 'Hit', (start, end) => cached.body.subarray(start, end + 1));
    }
    const object = await findObject(viewer.key, now);
    if (viewer.method === 'GET' && cache.fits(object.size)) {
      const fetched = await fetchForCache(viewer.key, object, now);
      cache.put(viewer.key, fetched.object, fetched.body);
      return send(fetched.object, 'Miss', (start, end) => fetched.body.subarray(start, end + 1));
    }
    return send(object, 'Miss', (start, end) => options.origin.read(object, start, end));
  }

  return async function handleCdnRequest(request, response) {
    const method = request.method ?? 'GET';
    // Every answer of a behaviour, errors included, carries its response headers policy's headers.
    let policyHeaders: readonly PolicyHeader[] = [];
    try {
      const behaviour = behaviourFor(options.distribution, requestPath(request.url ?? '/'));
      policyHeaders = behaviour.policyHeaders;
      discardRequestBody(request, response);
      if (method === 'OPTIONS') {
        viewerRequest('GET', request.url ?? '/');
        writeEdgeHeaders(response, 'Miss');
        writePolicyHeaders(policyHeaders, response);
        answerResponseHeadersPreflight(behaviour.cors, request.headers, response);
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowed();
      await serve(request, response, viewerRequest(method, request.url ?? '/'), behaviour);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const known = error instanceof CdnError ? error : undefined;
      if (known === undefined) {
        onInternalError(error);
        response.statusCode = 500;
        writeEdgeHeaders(response, 'Error');
        writePolicyHeaders(policyHeaders, response);
        response.end();
        return;
      }
      renderCdnError(response, known, method, policyHeaders);
    }
  };
}

/** The request target's path as sent, without the query. */
function requestPath(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

function viewerRequest(method: 'GET' | 'HEAD', url: string): ViewerRequest {
  const queryStart = url.indexOf('?');
  const rawPath = requestPath(url);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);
  if (!rawPath.startsWith('/')) throw new InvalidUri();
  let key: string;
  try {
    key = decodeURIComponent(rawPath.slice(1));
  } catch {
    throw new InvalidUri();
  }
  return { method, rawPath, rawQuery, key };
}

/** Opens bytes `start..end` (inclusive) of the answer's object: before any header is sent, so a read that cannot start is a clean error answer. */
type ByteSource = (start: number, end: number) => Buffer | Promise<Buffer | Readable>;

/** Whether two records of a key hold the same blob files. */
function sameBytes(object: OriginObject, other: OriginObject): boolean {
  return object.segments.length === other.segments.length && object.segments.every((segment, index) => segment.blobId === other.segments[index]?.blobId);
}

/** One object answer: what was asked, the object, and how the behaviour shapes the answer. */
interface ObjectAnswer {
  viewer: ViewerRequest;
  object: OriginObject;
  cacheResult: 'Hit' | 'Miss';
  /** A forwarded `response-content-disposition`. */
  dispositionOverride: string | undefined;
  policyHeaders: readonly PolicyHeader[];
}

async function sendObject(request: IncomingMessage, response: ServerResponse, answer: ObjectAnswer, bytes: ByteSource): Promise<void> {
  const { viewer, object } = answer;
  writeEdgeHeaders(response, answer.cacheResult);
  if (isNotModified(request, object)) {
    response.statusCode = 304;
    response.setHeader('etag', object.etag);
    response.setHeader('last-modified', new Date(object.lastModified).toUTCString());
    writePolicyHeaders(answer.policyHeaders, response);
    response.end();
    return;
  }
  const range = requestedRange(request, object);
  const start = range?.start ?? 0;
  const end = range?.end ?? object.size - 1;
  const source = viewer.method === 'HEAD' || end < start ? undefined : await bytes(start, end);
  writeObjectHeaders(response, object, answer.dispositionOverride);
  writePolicyHeaders(answer.policyHeaders, response);
  response.statusCode = range ? 206 : 200;
  if (range) response.setHeader('content-range', `bytes ${start}-${end}/${object.size}`);
  response.setHeader('content-length', end - start + 1);
  if (source === undefined) {
    response.end();
    return;
  }
  if (Buffer.isBuffer(source)) {
    response.end(source);
    return;
  }
  // The viewer may stop reading at any time; that ends this answer, not the server.
  await pipeline(source, response).catch(() => response.destroy());
}

/** `response-content-disposition` from the query, when it is a printable header value. */
function contentDispositionOverride(rawQuery: string): string | undefined {
  for (const piece of rawQuery.split('&')) {
    if (!piece.startsWith(`${RESPONSE_CONTENT_DISPOSITION}=`)) continue;
    let value: string;
    try {
      value = decodeURIComponent(piece.slice(RESPONSE_CONTENT_DISPOSITION.length + 1).replaceAll('+', ' '));
    } catch {
      return undefined;
    }
    return PRINTABLE_HEADER_VALUE.test(value) ? value : undefined;
  }
  return undefined;
}

/**
 * A GET or HEAD carrying a body is answered without it: the connection closes after the answer,
 * and what was sent meanwhile is dropped (a lot of it ends the connection at once). Requests
 * without a body keep their connection alive.
 */
function discardRequestBody(request: IncomingMessage, response: ServerResponse): void {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || request.complete) return;
  response.setHeader('connection', 'close');
  let discarded = 0;
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BODY_BYTES) request.destroy();
  });
  request.on('error', () => undefined);
  request.resume();
}

function isTls(request: IncomingMessage): boolean {
  return (request.socket as TLSSocket).encrypted === true;
}
