import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { AwsChunkedDecoder } from './decode-aws-chunked-body.ts';
import { headerValue } from './signed-request.ts';
import { SigV4Error } from './sigv4-error.ts';
import type { VerifiedSigV4Request } from './verify-sigv4.ts';

export interface VerifiedPayload {
  /** The decoded body; it fails with a {@link SigV4Error} when the body does not match what was signed. */
  body: Readable;
  /** Whether the body arrives `aws-chunked` (its length is then `x-amz-decoded-content-length`). */
  chunked: boolean;
  /** The decoded length the client declared, if it did. */
  declaredLength: number | undefined;
  /** Trailing headers (lower-case names) of an `aws-chunked` body; complete once {@link body} has ended. */
  trailers: ReadonlyMap<string, string>;
}

/** Opens the body of a verified request, checking it against the signature as it streams. */
export function openVerifiedPayload(request: IncomingMessage, verified: VerifiedSigV4Request): VerifiedPayload {
  const { payload, authorization } = verified;
  if (payload.kind === 'unsigned' || payload.kind === 'signed') {
    const contentLength = headerValue(request.headers, 'content-length');
    const declaredLength = contentLength === undefined ? undefined : Number(contentLength);
    const body = feed(request, payload.kind === 'signed' ? new Sha256Check(payload.sha256) : new PassThrough());
    return { body, chunked: false, declaredLength, trailers: new Map() };
  }
  const decodedLength = headerValue(request.headers, 'x-amz-decoded-content-length');
  if (decodedLength === undefined || !/^\d{1,15}$/.test(decodedLength)) {
    throw new SigV4Error('InvalidRequest', 'Missing required header for this request: x-amz-decoded-content-length');
  }
  const decoder = new AwsChunkedDecoder({
    declaredLength: Number(decodedLength),
    ...(payload.kind === 'streaming-signed' && {
      signing: { signingKey: verified.signingKey, longDate: authorization.longDate, scope: authorization.scope, seedSignature: verified.signature },
      signedTrailer: payload.trailer,
    }),
  });
  return { body: feed(request, decoder), chunked: true, declaredLength: Number(decodedLength), trailers: decoder.trailers };
}

/**
 * Pipes the request into `stage` without tying their lifetimes: a consumer that gives up (bad
 * checksum, size limit) destroys only `stage`, so the connection survives to carry the error
 * answer; a request that breaks off fails `stage`.
 */
function feed(request: IncomingMessage, stage: Transform): Transform {
  request.on('error', (error) => stage.destroy(error));
  request.on('close', () => {
    if (!request.complete) stage.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  });
  return request.pipe(stage);
}

/** Passes the body through and fails at its end when its SHA-256 is not the signed one. */
class Sha256Check extends Transform {
  private readonly hash = createHash('sha256');

  constructor(private readonly expectedHex: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.hash.digest('hex') !== this.expectedHex) {
      return callback(new SigV4Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."));
    }
    callback();
  }
}
