/** The limits S3 enforces; tests may lower some of them. */
export interface StorageLimits {
  /** Largest single PUT (and copy). @default 5 GiB */
  maxObjectBytes: number;
  /** Largest part of a multipart upload. @default 5 GiB */
  maxPartBytes: number;
  /** Smallest part of a multipart upload other than the last. @default 5 MiB */
  minPartBytes: number;
  /** @default 10000 */
  maxPartNumber: number;
  /** @default 1024 (UTF-8 bytes) */
  maxKeyBytes: number;
  /** Total UTF-8 bytes of user metadata names and values. @default 2048 */
  maxUserMetadataBytes: number;
}

const GiB = 1024 ** 3;

export const S3_LIMITS: StorageLimits = {
  maxObjectBytes: 5 * GiB,
  maxPartBytes: 5 * GiB,
  minPartBytes: 5 * 1024 * 1024,
  maxPartNumber: 10_000,
  maxKeyBytes: 1024,
  maxUserMetadataBytes: 2048,
};
