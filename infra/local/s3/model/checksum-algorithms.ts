import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32c } from './crc32c.ts';
import { Crc64Nvme } from './crc64-nvme.ts';

/** The additional checksums S3 accepts (`x-amz-checksum-<algorithm>`). */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface IncrementalDigest {
  update(chunk: Uint8Array): void;
  /** The raw digest bytes (S3 sends them base64-encoded). */
  digest(): Buffer;
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

export function createChecksumDigest(algorithm: ChecksumAlgorithm): IncrementalDigest {
  switch (algorithm) {
    case 'CRC32':
      return crcDigest(crc32);
    case 'CRC32C':
      return crcDigest(crc32c);
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm.toLowerCase());
      return { update: (chunk) => hash.update(chunk), digest: () => hash.digest() };
    }
  }
}

function crcDigest(continueCrc: (data: Uint8Array, previous: number) => number): IncrementalDigest {
  let value = 0;
  return {
    update(chunk) {
      value = continueCrc(chunk, value);
    },
    digest() {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      return bytes;
    },
  };
}
