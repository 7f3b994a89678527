import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { ALGORITHM_IDENTIFIER, createScope, getCanonicalHeaders, SignatureV4Base } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import type { CredentialScope } from './parse-sigv4-authorization.ts';
import { encodeRfc3986, headerValue, type SignedRequestParts } from './signed-request.ts';

const Sha256 = Hash.bind(null, 'sha256');

interface SignatureInputs {
  request: SignedRequestParts;
  signedHeaders: string[];
  /** The payload hash that goes into the canonical request (a hex SHA-256, `UNSIGNED-PAYLOAD`, `STREAMING-...`). */
  payloadHash: string;
  longDate: string;
  scope: CredentialScope;
  signingKey: Uint8Array;
  /** S3 signs the path as sent; every other service normalizes and encodes it twice. */
  doubleEncodePath: boolean;
  /** Query parameters left out of the canonical query (`X-Amz-Signature` of a pre-signed URL is always left out). */
  excludedQueryParameters?: ReadonlySet<string>;
}

/**
 * Computes request signatures with the canonicalization of `@smithy/signature-v4` (the code that
 * signed them in the SDK), reached through its base class because the verifier must sign with the
 * request's own date, scope and signed-header list rather than fresh ones. The string to sign is
 * the library's own format, hashed here synchronously (the library's hasher is asynchronous only
 * because it also runs in browsers).
 */
class RequestSignatureCalculator extends SignatureV4Base {
  constructor(doubleEncodePath: boolean) {
    super({ service: 'unused', region: 'unused', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Sha256, uriEscapePath: doubleEncodePath });
  }

  signature(inputs: SignatureInputs): string {
    const httpRequest = toHttpRequest(inputs);
    const canonicalHeaders = getCanonicalHeaders(httpRequest, undefined, new Set(inputs.signedHeaders));
    const canonicalRequest = this.createCanonicalRequest(httpRequest, canonicalHeaders, inputs.payloadHash);
    const scope = createScope(inputs.scope.date, inputs.scope.region, inputs.scope.service);
    const canonicalRequestHash = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
    return hmacHex(inputs.signingKey, `${ALGORITHM_IDENTIFIER}\n${inputs.longDate}\n${scope}\n${canonicalRequestHash}`);
  }
}

const calculators = { true: new RequestSignatureCalculator(true), false: new RequestSignatureCalculator(false) };

export function computeRequestSignature(inputs: SignatureInputs): string {
  return calculators[`${inputs.doubleEncodePath}`].signature(inputs);
}

/** Enough for every live credential set signing for a day or two; the oldest entry goes first beyond it. */
const MAX_CACHED_SIGNING_KEYS = 4096;
/** Derived keys by the lengths of date, region and service, then the four parts: no two inputs share an entry, whatever characters they hold. */
const signingKeys = new Map<string, Buffer>();

/**
 * The key derived from a secret for one day, region and service: four chained HMACs, the same for
 * every request a credential set signs that day, so it is derived once and kept (bounded).
 */
export function deriveSigningKey(secretAccessKey: string, scope: CredentialScope): Buffer {
  const cacheKey = `${scope.date.length}.${scope.region.length}.${scope.service.length}.${scope.date}${scope.region}${scope.service}${secretAccessKey}`;
  const cached = signingKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [scope.date, scope.region, scope.service, 'aws4_request']) key = createHmac('sha256', key).update(part, 'utf8').digest();
  if (signingKeys.size >= MAX_CACHED_SIGNING_KEYS) signingKeys.delete(signingKeys.keys().next().value!);
  signingKeys.set(cacheKey, key);
  return key;
}

export function hmacHex(key: Uint8Array, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

export function signaturesMatch(expected: string, presented: string): boolean {
  const expectedBytes = Buffer.from(expected, 'utf8');
  const presentedBytes = Buffer.from(presented, 'utf8');
  return expectedBytes.length === presentedBytes.length && timingSafeEqual(expectedBytes, presentedBytes);
}

function toHttpRequest(inputs: SignatureInputs): HttpRequest {
  const headers: Record<string, string> = {};
  for (const name of inputs.signedHeaders) {
    const value = headerValue(inputs.request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of inputs.request.query) {
    if (name === 'X-Amz-Signature' || inputs.excludedQueryParameters?.has(name)) continue;
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return {
    method: inputs.request.method,
    protocol: 'https:',
    hostname: headers.host ?? '',
    path: inputs.doubleEncodePath ? inputs.request.rawPath : canonicalS3Path(inputs.request.rawPath),
    query,
    headers,
  };
}

/**
 * S3 signs the URI-encoded path once. Clients differ in which characters they escape, so each
 * segment is decoded and re-encoded the RFC 3986 way, as S3 itself canonicalizes.
 */
function canonicalS3Path(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => encodeRfc3986(safeDecode(segment)))
    .join('/');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
