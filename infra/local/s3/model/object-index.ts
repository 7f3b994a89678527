import type { StatementSync } from 'node:sqlite';
import type { LocalDatabase } from '../../persistence/local-database.ts';
import { keyBytes, keyFromBytes } from './key-bytes.ts';
import type { ObjectRecord } from './object-record.ts';

/** The range scan a listing runs: keys in `[from, to)` in listing order, through the primary key. */
export const SCAN_OBJECTS_SQL = 'SELECT key, record FROM s3_objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key';

export interface ScannedObject {
  key: string;
  /** Parses the record only when the listing keeps the object (not for keys rolled into a common prefix). */
  record: () => ObjectRecord;
}

/**
 * The objects of one bucket in `s3_objects`, one JSON record per key, read through prepared
 * statements: nothing is held in memory. Writes are meant to run inside the caller's transaction.
 */
export class ObjectIndex {
  private readonly selectOne: StatementSync;
  private readonly scanRange: StatementSync;
  private readonly upsert: StatementSync;
  private readonly deleteOne: StatementSync;

  constructor(
    database: LocalDatabase,
    private readonly bucket: string,
  ) {
    this.selectOne = database.prepare('SELECT record FROM s3_objects WHERE bucket = ? AND key = ?');
    this.scanRange = database.prepare(SCAN_OBJECTS_SQL);
    this.upsert = database.prepare('INSERT INTO s3_objects (bucket, key, record) VALUES (?, ?, ?) ON CONFLICT (bucket, key) DO UPDATE SET record = excluded.record');
    this.deleteOne = database.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?');
  }

  get(key: string): ObjectRecord | undefined {
    const row = this.selectOne.get(this.bucket, keyBytes(key)) as { record: string } | undefined;
    return row && (JSON.parse(row.record) as ObjectRecord);
  }

  /** Objects with UTF-8 keys in `[from, to)`, in listing order, read lazily (stop iterating to stop reading). */
  *scan(from: Buffer, to: Buffer): Generator<ScannedObject> {
    for (const row of this.scanRange.iterate(this.bucket, from, to) as Iterable<{ key: Uint8Array; record: string }>) {
      yield { key: keyFromBytes(row.key), record: () => JSON.parse(row.record) as ObjectRecord };
    }
  }

  put(record: ObjectRecord): void {
    this.upsert.run(this.bucket, keyBytes(record.key), JSON.stringify(record));
  }

  delete(key: string): void {
    this.deleteOne.run(this.bucket, keyBytes(key));
  }
}
