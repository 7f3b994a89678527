import { InvalidArgumentError } from 'commander';

/** For options that count or measure: a whole number above zero, else a usage error. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return parsed;
}
