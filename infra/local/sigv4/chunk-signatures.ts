import { createHash } from 'node:crypto';
import { createScope } from '@smithy/signature-v4';
import type { CredentialScope } from './parse-sigv4-authorization.ts';
import { hmacHex } from './request-signature.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What every chunk signature of one streaming request is chained from. */
export interface ChunkSigningContext {
  signingKey: Uint8Array;
  longDate: string;
  scope: CredentialScope;
  /** The request's own signature: the "previous signature" of the first chunk. */
  seedSignature: string;
}

/** Signature of one `aws-chunked` data chunk (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`). */
export function chunkSignature(context: ChunkSigningContext, previousSignature: string, chunkSha256Hex: string): string {
  return hmacHex(
    context.signingKey,
    ['AWS4-HMAC-SHA256-PAYLOAD', context.longDate, scopeOf(context), previousSignature, EMPTY_SHA256, chunkSha256Hex].join('\n'),
  );
}

/** Signature of the trailing headers (`x-amz-trailer-signature`), chained from the final chunk's signature. */
export function trailerSignature(context: ChunkSigningContext, previousSignature: string, trailerLines: string[]): string {
  const canonicalTrailer = trailerLines.map((line) => `${line}\n`).join('');
  const trailerHash = createHash('sha256').update(canonicalTrailer, 'utf8').digest('hex');
  return hmacHex(context.signingKey, ['AWS4-HMAC-SHA256-TRAILER', context.longDate, scopeOf(context), previousSignature, trailerHash].join('\n'));
}

function scopeOf(context: ChunkSigningContext): string {
  return createScope(context.scope.date, context.scope.region, context.scope.service);
}
