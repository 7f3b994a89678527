import { InvalidArgumentError } from 'commander';

/**
 * For options that count or measure: a whole number above zero written in decimal digits, else a
 * usage error (Number() alone would take `1e3`, `0x10` or ` 5`).
 */
export function positiveInteger(value: string): number {
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number in decimal digits, e.g. 600.');
  return parsed;
}
