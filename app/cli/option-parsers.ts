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

const SECONDS_PER_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A lifetime in seconds: `90s`, `30m`, `12h`, `7d`, or a bare number of seconds (`600`). */
export function duration(value: string): number {
  const match = /^([0-9]+)([smhd]?)$/.exec(value);
  const seconds = match ? Number(match[1]) * SECONDS_PER_UNIT[match[2] || 's']! : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a duration above zero: 90s, 30m, 12h, 7d, or seconds (600).');
  return seconds;
}

/** Decimal units as disks count (`10MB` = 10,000,000) and binary ones as memory does (`5MiB` = 5,242,880). */
const BYTES_PER_UNIT: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** A size in bytes: `1048576`, `10MB`, `5MiB`, `1.5GB` (units in any case); whole bytes above zero. */
export function byteSize(value: string): number {
  const match = /^([0-9]+)(?:\.([0-9]+))?\s?([a-zA-Z]*)$/.exec(value);
  const perUnit = match ? BYTES_PER_UNIT[match[3]!.toUpperCase()] : undefined;
  // In whole numbers, so 1.1MB is 1,100,000 and not 1,100,000.0000000002.
  const scale = 10 ** (match?.[2]?.length ?? 0);
  const scaled = match && perUnit !== undefined ? Number(`${match[1]}${match[2] ?? ''}`) * perUnit : Number.NaN;
  const bytes = Number.isSafeInteger(scaled) && scaled % scale === 0 ? scaled / scale : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new InvalidArgumentError('expected a size above zero in whole bytes: 1048576, 10MB, 5MiB (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).');
  return bytes;
}

/** RFC 9110's token characters, for both halves of a media type and its parameters. */
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|"[^"\\\\]*"))*$`);

/** A content type such as `image/jpeg`, checked before it is signed into a link that would then refuse every upload. */
export function contentType(value: string): string {
  if (!MEDIA_TYPE.test(value)) throw new InvalidArgumentError('expected a content type such as image/jpeg or text/plain; charset=utf-8.');
  return value;
}
