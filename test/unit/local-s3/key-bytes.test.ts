import fc from 'fast-check';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { keyBytes, keyFromBytes, positionAfter, positionPastPrefix } from '../../../infra/local/s3/model/key-bytes.ts';
import { compareKeys } from '../../../infra/local/s3/model/key-order.ts';
import { InvalidArgument } from '../../../infra/local/s3/s3-errors.ts';

const EDGE = ['\u0000', 'a', '/', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
const edgeKey = fc.array(fc.constantFrom(...EDGE), { maxLength: 5 }).map((characters) => characters.join(''));
const anyKey = fc.oneof(edgeKey, fc.string({ unit: 'grapheme' }));

describe('keys as UTF-8 BLOBs', () => {
  it('compare bytewise exactly as compareKeys orders them, and round-trip', () => {
    fc.assert(
      fc.property(anyKey, anyKey, (left, right) => {
        expect(Math.sign(Buffer.compare(keyBytes(left), keyBytes(right)))).toBe(Math.sign(compareKeys(left, right)));
        expect(keyFromBytes(keyBytes(left))).toBe(left);
      }),
      { numRuns: 2000 },
    );
  });

  it('sort in SQLite (BLOB primary key, embedded NULs included) as compareKeys sorts them', () => {
    const database = new DatabaseSync(':memory:');
    database.exec('CREATE TABLE keys (key BLOB PRIMARY KEY) WITHOUT ROWID');
    fc.assert(
      fc.property(fc.uniqueArray(anyKey, { maxLength: 30 }), (keys) => {
        database.exec('DELETE FROM keys');
        const insert = database.prepare('INSERT INTO keys (key) VALUES (?)');
        for (const key of keys) insert.run(keyBytes(key));
        const stored = (database.prepare('SELECT key FROM keys ORDER BY key').all() as Array<{ key: Uint8Array }>).map((row) => keyFromBytes(row.key));
        expect(stored).toEqual([...keys].sort(compareKeys));
      }),
      { numRuns: 200 },
    );
    database.close();
  });

  it('positionAfter is the first position after a key, positionPastPrefix the first after every key under a prefix', () => {
    fc.assert(
      fc.property(edgeKey, edgeKey, (prefix, key) => {
        const bytes = keyBytes(key);
        const prefixBytes = keyBytes(prefix);
        const after = positionAfter(prefixBytes);
        expect(Buffer.compare(bytes, prefixBytes) > 0).toBe(Buffer.compare(bytes, after) >= 0);
        const past = positionPastPrefix(prefixBytes);
        const under = key.startsWith(prefix);
        expect(under).toBe(Buffer.compare(bytes, prefixBytes) >= 0 && Buffer.compare(bytes, past) < 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a lone surrogate, which has no UTF-8 form and would become U+FFFD', () => {
    expect(() => keyBytes('a\ud800')).toThrow(InvalidArgument);
    expect(() => keyBytes('\udfff/b')).toThrow(InvalidArgument);
    expect(keyBytes('\u{1f600}')).toEqual(Buffer.from([0xf0, 0x9f, 0x98, 0x80]));
  });
});
