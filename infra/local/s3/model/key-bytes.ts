import { InvalidArgument } from '../s3-errors.ts';

/**
 * Keys as the database stores them: their UTF-8 bytes in a BLOB column. SQLite compares BLOBs
 * with memcmp, which is S3's listing order (UTF-8 byte order, `compareKeys` in key-order.ts) including
 * embedded NULs. A string with a lone surrogate has no UTF-8 form (encoding would turn it into
 * U+FFFD and two keys into one), so it is refused; keys parsed from a request never have one.
 */
/** With the `u` flag a surrogate pair is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /\p{Surrogate}/u;

export function keyBytes(key: string): Buffer {
  if (LONE_SURROGATE.test(key)) throw new InvalidArgument('Object keys and listing positions must be valid Unicode (no lone surrogates).', 'key');
  return Buffer.from(key, 'utf8');
}

export function keyFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The first position strictly after `bytes`: nothing sorts between a key and the key followed by a NUL byte. */
export function positionAfter(bytes: Buffer): Buffer {
  return Buffer.concat([bytes, Buffer.of(0)]);
}

/** Greater than every UTF-8 string (no UTF-8 string contains the byte 0xFF). */
const PAST_EVERY_KEY = Buffer.of(0xff);

/**
 * The first position past every key that starts with `prefix`: the prefix with its last byte
 * raised by one (UTF-8 bytes are at most 0xF4, so it never carries).
 */
export function positionPastPrefix(prefix: Buffer): Buffer {
  if (prefix.length === 0) return PAST_EVERY_KEY;
  const past = Buffer.from(prefix);
  past[past.length - 1] = (past[past.length - 1] as number) + 1;
  return past;
}
