import { StorageError } from './storage-errors.ts';

const MIB = 1024 * 1024;

/** S3's multipart limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
export interface PartLimits {
  /** Smallest part but the last. */
  minPartSize: number;
  /** Largest part. */
  maxPartSize: number;
  /** Most parts in one upload. */
  maxParts: number;
  /** Largest object. */
  maxObjectSize: number;
  /** A grown part size is rounded up to a multiple of this. */
  partSizeStep: number;
}

export const S3_PART_LIMITS: PartLimits = {
  minPartSize: 5 * MIB,
  maxPartSize: 5 * 1024 * MIB,
  maxParts: 10_000,
  maxObjectSize: 5 * 1024 * 1024 * MIB,
  partSizeStep: MIB,
};

export interface PartSizePlan {
  partSize: number;
  partCount: number;
}

/**
 * The part size for an upload of `totalBytes`: the preferred size, unless the file would need
 * more than `maxParts` parts at that size; then the smallest whole number of MiB that fits. A
 * file above the object limit is refused here, before anything is sent.
 */
export function planPartSize(totalBytes: number, preferredPartSize: number, limits: PartLimits = S3_PART_LIMITS): PartSizePlan {
  if (!Number.isSafeInteger(totalBytes) || totalBytes < 0) throw new RangeError(`totalBytes must be a whole number of bytes, got ${totalBytes}.`);
  if (totalBytes > limits.maxObjectSize) {
    throw new StorageError('TooLarge', `The file is ${formatBytes(totalBytes)}; S3 stores objects up to ${formatBytes(limits.maxObjectSize)}. Nothing was sent.`);
  }
  const smallestFitting = Math.ceil(totalBytes / limits.maxParts);
  const wanted = Math.max(preferredPartSize, limits.minPartSize, smallestFitting);
  const partSize = Math.min(Math.ceil(wanted / limits.partSizeStep) * limits.partSizeStep, limits.maxPartSize);
  return { partSize, partCount: Math.max(1, Math.ceil(totalBytes / partSize)) };
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number.isInteger(value) ? value : value.toFixed(2)} ${units[unit]} (${bytes} bytes)`;
}
