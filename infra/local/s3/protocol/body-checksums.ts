import { CHECKSUM_ALGORITHMS, CHECKSUM_DIGEST_BYTES, checksumHeaderName, createChecksumDigest, parseChecksumAlgorithm, type ChecksumAlgorithm, type IncrementalDigest } from '../model/checksum-algorithms.ts';
import { BadDigest, InvalidDigest, InvalidRequest } from '../s3-errors.ts';
import { requestHeader, type S3Request } from './s3-request.ts';

/** What a write request says its body's digests are (from headers now, or from the trailer later). */
interface DeclaredChecksums {
  contentMd5?: Buffer;
  /** The additional checksum the client sent or announced; its value may only arrive in the trailer. */
  checksum?: { algorithm: ChecksumAlgorithm; headerValue?: string };
}

export function declaredChecksumsOf(request: S3Request): DeclaredChecksums {
  const declared: DeclaredChecksums = {};
  const contentMd5 = requestHeader(request, 'content-md5');
  if (contentMd5 !== undefined) {
    const digest = Buffer.from(contentMd5, 'base64');
    if (digest.length !== 16 || digest.toString('base64') !== contentMd5.trim()) throw new InvalidDigest('The Content-MD5 you specified was invalid.');
    declared.contentMd5 = digest;
  }
  const inHeaders = CHECKSUM_ALGORITHMS.filter((algorithm) => request.headers[checksumHeaderName(algorithm)] !== undefined);
  if (inHeaders.length > 1) throw new InvalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const trailer = requestHeader(request, 'x-amz-trailer')?.trim().toLowerCase();
  const inTrailer = trailer === undefined ? undefined : CHECKSUM_ALGORITHMS.find((algorithm) => checksumHeaderName(algorithm) === trailer);
  if (trailer !== undefined && inTrailer === undefined) throw new InvalidRequest(`The value specified in the x-amz-trailer header is not supported`);
  const announced = requestHeader(request, 'x-amz-sdk-checksum-algorithm') ?? requestHeader(request, 'x-amz-checksum-algorithm');
  const algorithm = inHeaders[0] ?? inTrailer ?? (announced === undefined ? undefined : parseChecksumAlgorithm(announced));
  if (announced !== undefined && parseChecksumAlgorithm(announced) === undefined) throw new InvalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  if (algorithm !== undefined) {
    const headerValue = requestHeader(request, checksumHeaderName(algorithm));
    if (headerValue !== undefined) checkChecksumFormat(algorithm, headerValue);
    declared.checksum = { algorithm, ...(headerValue !== undefined && { headerValue }) };
  }
  return declared;
}

/** The digests to compute while staging: the declared checksum's and any extra algorithms (e.g. an upload's). */
export function digestsToCompute(declared: DeclaredChecksums, extra: Array<ChecksumAlgorithm | undefined> = []): Record<string, IncrementalDigest> {
  const algorithms = new Set([declared.checksum?.algorithm, ...extra].filter((algorithm) => algorithm !== undefined));
  return Object.fromEntries([...algorithms].map((algorithm) => [algorithm, createChecksumDigest(algorithm)]));
}

/**
 * Compares the staged body with what the client declared, once the body (and its trailer) has
 * arrived. Returns the declared checksum, now verified, for storing with the object.
 */
export function verifyDeclaredChecksums(declared: DeclaredChecksums, staged: { md5: Buffer; digests: Record<string, Buffer> }, trailers: ReadonlyMap<string, string>): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  if (declared.contentMd5 && !declared.contentMd5.equals(staged.md5)) throw new BadDigest('The Content-MD5 you specified did not match what we received.');
  if (!declared.checksum) return undefined;
  const { algorithm } = declared.checksum;
  const computed = (staged.digests[algorithm] as Buffer).toString('base64');
  const sent = declared.checksum.headerValue ?? trailers.get(checksumHeaderName(algorithm));
  if (sent !== undefined) {
    if (declared.checksum.headerValue === undefined) checkChecksumFormat(algorithm, sent);
    if (sent !== computed) throw new BadDigest(`The ${algorithm} you specified did not match the calculated checksum.`);
  }
  return { algorithm, value: computed };
}

function checkChecksumFormat(algorithm: ChecksumAlgorithm, value: string): void {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== CHECKSUM_DIGEST_BYTES[algorithm] || bytes.toString('base64') !== value) {
    throw new InvalidRequest(`Value for ${checksumHeaderName(algorithm)} header is invalid.`);
  }
}
