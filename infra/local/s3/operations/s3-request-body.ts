import { createHash } from 'node:crypto';
import { SigV4Error } from '../../sigv4/sigv4-error.ts';
import type { StagedBlob } from '../model/blob-directory.ts';
import type { ChecksumAlgorithm } from '../model/checksum-algorithms.ts';
import { EntityTooLarge, IncompleteBody, InvalidRequest, MissingContentLength, S3Error } from '../s3-errors.ts';
import { declaredChecksumsOf, digestsToCompute, verifyDeclaredChecksums } from '../protocol/body-checksums.ts';
import type { S3OperationContext } from './operation-context.ts';

interface StagedRequestBody {
  staged: StagedBlob;
  /** The checksum the client declared, verified. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/**
 * Streams the request body to a staged blob, refusing it early when its declared length is over
 * `maxBytes`, and checks Content-MD5 and the declared checksum (header or trailer) once it is in.
 * `extraAlgorithms` are computed too (their digests are in `staged.digests`).
 */
export async function stageRequestBody(context: S3OperationContext, maxBytes: number, extraAlgorithms: Array<ChecksumAlgorithm | undefined> = []): Promise<StagedRequestBody> {
  const declared = declaredChecksumsOf(context.request);
  const payload = context.openPayload();
  if (payload.declaredLength === undefined) throw new MissingContentLength();
  if (payload.declaredLength > maxBytes) throw new EntityTooLarge(payload.declaredLength, maxBytes);
  const staged = await context.bucket.stage(payload.body, { maxBytes, digests: digestsToCompute(declared, extraAlgorithms) }).catch((error: unknown) => {
    throw asBodyError(error);
  });
  try {
    const checksum = verifyDeclaredChecksums(declared, staged, payload.trailers);
    return { staged, ...(checksum && { checksum }) };
  } catch (error) {
    await context.bucket.discard(staged);
    throw error;
  }
}

/** Reads a small request body (an XML document) into memory, verified like any other body. */
export async function readSmallRequestBody(context: S3OperationContext, maxBytes: number, options: { requireIntegrityHeader?: string } = {}): Promise<Buffer> {
  const declared = declaredChecksumsOf(context.request);
  if (options.requireIntegrityHeader && !declared.contentMd5 && !declared.checksum) {
    throw new InvalidRequest(`Missing required header for this request: ${options.requireIntegrityHeader}`);
  }
  const payload = context.openPayload();
  if (payload.declaredLength !== undefined && payload.declaredLength > maxBytes) throw new EntityTooLarge(payload.declaredLength, maxBytes);
  const digests = digestsToCompute(declared);
  const md5 = createHash('md5');
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of payload.body as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) throw new EntityTooLarge(length, maxBytes);
      chunks.push(chunk);
      md5.update(chunk);
      for (const digest of Object.values(digests)) digest.update(chunk);
    }
  } catch (error) {
    throw asBodyError(error);
  }
  const digestBytes = Object.fromEntries(await Promise.all(Object.entries(digests).map(async ([name, digest]) => [name, await digest.digest()] as const)));
  verifyDeclaredChecksums(declared, { md5: md5.digest(), digests: digestBytes }, payload.trailers);
  return Buffer.concat(chunks, length);
}

/** A body stream that broke off because the client went away is an incomplete body, not a server fault. */
export function asBodyError(error: unknown): unknown {
  if (error instanceof S3Error || error instanceof SigV4Error) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') return new IncompleteBody();
  return error;
}
