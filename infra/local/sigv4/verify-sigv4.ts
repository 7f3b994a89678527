import type { CredentialLookup, IssuedCredentials } from '../credentials/issued-credentials.ts';
import { parseSigV4Authorization, type SigV4Authorization } from './parse-sigv4-authorization.ts';
import { computeRequestSignature, deriveSigningKey, signaturesMatch } from './request-signature.ts';
import { headerValue, type SignedRequestParts } from './signed-request.ts';
import { SigV4Error } from './sigv4-error.ts';

/** How the body of a verified request is protected, from its `x-amz-content-sha256`. */
type PayloadMode =
  | { kind: 'signed'; sha256: string }
  | { kind: 'unsigned' }
  | { kind: 'streaming-signed'; trailer: boolean }
  | { kind: 'streaming-unsigned-trailer' };

export interface VerifiedSigV4Request {
  caller: IssuedCredentials;
  authorization: SigV4Authorization;
  payload: PayloadMode;
  /** The payload hash as signed (`x-amz-content-sha256`), e.g. for the `s3:x-amz-content-sha256` condition key. */
  contentSha256: string;
  /** Needed to check the chunk signatures of a streaming payload. */
  signingKey: Uint8Array;
  signature: string;
  /** Milliseconds since the signing time, for `s3:signatureAge`. */
  signatureAgeMs: number;
}

export interface SigV4VerificationOptions {
  service: string;
  region: string;
  credentials: CredentialLookup;
  now: Date;
  /** False for S3 (the path is signed as sent); true for every other service. */
  doubleEncodePath: boolean;
  /**
   * Hex SHA-256 of a body the caller has already read, used when the request has no
   * `x-amz-content-sha256` header. Without it that header is required (as S3 requires it).
   */
  bodySha256?: string;
  /** @default 15 minutes, as on AWS */
  maxClockSkewMs?: number;
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const STREAMING_MODES: Record<string, PayloadMode> = {
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { kind: 'streaming-signed', trailer: false },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { kind: 'streaming-signed', trailer: true },
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { kind: 'streaming-unsigned-trailer' },
};

/**
 * Authenticates a SigV4 request (Authorization header or pre-signed query string) against the
 * issued credentials. Returns `undefined` for a request that carries no authentication at all.
 * The body is not read: {@link openVerifiedPayload} checks it as it streams.
 */
export async function verifySigV4(request: SignedRequestParts, options: SigV4VerificationOptions): Promise<VerifiedSigV4Request | undefined> {
  const authorization = parseSigV4Authorization(request);
  if (authorization === undefined) return undefined;
  checkScope(authorization, options);
  checkAllAmzHeadersSigned(authorization, request);
  checkRequestTime(authorization, options);

  const caller = options.credentials.findByAccessKeyId(authorization.accessKeyId);
  if (caller === undefined) throw new SigV4Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

  const contentSha256 = payloadHashOf(authorization, request, options);
  const signingKey = deriveSigningKey(caller.secretAccessKey, authorization.scope);
  const expected = computeRequestSignature({
    request,
    signedHeaders: authorization.signedHeaders,
    payloadHash: contentSha256,
    longDate: authorization.longDate,
    scope: authorization.scope,
    signingKey,
    doubleEncodePath: options.doubleEncodePath,
  });
  if (!signaturesMatch(expected, authorization.signature)) {
    throw new SigV4Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  if (authorization.sessionToken === undefined || !signaturesMatch(caller.sessionToken, authorization.sessionToken)) {
    throw new SigV4Error('InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  if (options.now.getTime() >= Date.parse(caller.expiration)) throw new SigV4Error('ExpiredToken', 'The provided token has expired.');

  return {
    caller,
    authorization,
    payload: payloadModeOf(contentSha256),
    contentSha256,
    signingKey,
    signature: authorization.signature,
    signatureAgeMs: Math.max(0, options.now.getTime() - authorization.requestTime.getTime()),
  };
}

function checkScope(authorization: SigV4Authorization, options: SigV4VerificationOptions): void {
  const errorCode = authorization.location === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError';
  const { scope } = authorization;
  if (scope.region !== options.region) {
    throw new SigV4Error(errorCode, `The authorization header is malformed; the region '${scope.region}' is wrong; expecting '${options.region}'`);
  }
  if (scope.service !== options.service) {
    throw new SigV4Error(errorCode, `The authorization header is malformed; incorrect service '${scope.service}'. This endpoint belongs to '${options.service}'.`);
  }
  if (scope.date !== authorization.longDate.slice(0, 8)) {
    throw new SigV4Error(errorCode, `The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.`);
  }
  if (!authorization.signedHeaders.includes('host')) {
    throw new SigV4Error(errorCode, 'The authorization header is malformed; the host header must be signed.');
  }
}

/** Unsigned `x-amz-*` headers could change what the request does without breaking its signature. */
function checkAllAmzHeadersSigned(authorization: SigV4Authorization, request: SignedRequestParts): void {
  const signed = new Set(authorization.signedHeaders);
  const unsigned = Object.keys(request.headers).filter((name) => name.startsWith('x-amz-') && !signed.has(name));
  if (unsigned.length > 0) {
    throw new SigV4Error('AccessDenied', `There were headers present in the request which were not signed: ${unsigned.sort().join(', ')}`);
  }
}

function checkRequestTime(authorization: SigV4Authorization, options: SigV4VerificationOptions): void {
  const now = options.now.getTime();
  const signedAt = authorization.requestTime.getTime();
  const maxSkew = options.maxClockSkewMs ?? 15 * 60 * 1000;
  if (authorization.expiresSeconds === undefined) {
    if (Math.abs(now - signedAt) > maxSkew) throw new SigV4Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    return;
  }
  if (signedAt - now > maxSkew) throw new SigV4Error('AccessDenied', 'Request is not valid yet');
  if (now > signedAt + authorization.expiresSeconds * 1000) throw new SigV4Error('AccessDenied', 'Request has expired');
}

function payloadHashOf(authorization: SigV4Authorization, request: SignedRequestParts, options: SigV4VerificationOptions): string {
  const declared =
    authorization.location === 'header'
      ? headerValue(request.headers, 'x-amz-content-sha256')
      : (request.query.find(([name]) => name === 'X-Amz-Content-Sha256')?.[1] ?? (options.bodySha256 === undefined ? UNSIGNED_PAYLOAD : undefined));
  const payloadHash = declared ?? options.bodySha256;
  if (payloadHash === undefined) throw new SigV4Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (payloadHash !== UNSIGNED_PAYLOAD && !Object.hasOwn(STREAMING_MODES, payloadHash) && !/^[0-9a-f]{64}$/.test(payloadHash)) {
    throw new SigV4Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.');
  }
  // A body the caller has read must be the one the declared hash describes.
  if (options.bodySha256 !== undefined && /^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== options.bodySha256) {
    throw new SigV4Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return payloadHash;
}

function payloadModeOf(payloadHash: string): PayloadMode {
  if (payloadHash === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
  return STREAMING_MODES[payloadHash] ?? { kind: 'signed', sha256: payloadHash };
}
