import { InvalidArgument } from '../s3-errors.ts';

/** An optional non-negative integer query parameter (`max-keys`, ...); values above `cap` are lowered to it, as S3 does. */
export function parseBoundedInteger(value: string | undefined, name: string, fallback: number, cap = 1000): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value)) throw new InvalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Math.min(Number(value), cap);
}
