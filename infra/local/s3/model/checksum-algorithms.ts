import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { Sha1, Sha256 } from '@aws-sdk/checksums/sha';
import type { Checksum } from '@smithy/types';

/** The additional checksums S3 accepts (`x-amz-checksum-<algorithm>`). */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface IncrementalDigest {
  update(chunk: Uint8Array): void;
  /** The raw digest bytes (S3 sends them base64-encoded). */
  digest(): Promise<Buffer>;
}

export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const upper = name.toUpperCase();
  return CHECKSUM_ALGORITHMS.find((algorithm) => algorithm === upper);
}

/** `x-amz-checksum-crc32`, ... */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Length in bytes of each algorithm's digest, to reject malformed values before comparing. */
export const CHECKSUM_DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

/** The AWS SDK's own implementations, the ones its clients compute the checksums they send S3 with. */
const CHECKSUM_IMPLEMENTATIONS: Record<ChecksumAlgorithm, new () => Checksum> = { CRC32: Crc32, CRC32C: Crc32c, CRC64NVME: Crc64Nvme, SHA1: Sha1, SHA256: Sha256 };

export function createChecksumDigest(algorithm: ChecksumAlgorithm): IncrementalDigest {
  const checksum = new CHECKSUM_IMPLEMENTATIONS[algorithm]();
  return {
    update: (chunk) => checksum.update(chunk),
    digest: async () => Buffer.from(await checksum.digest()),
  };
}
