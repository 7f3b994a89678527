import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../../persistence/atomic-file.ts';
import { SortedKeys } from './key-order.ts';
import type { ObjectRecord } from './object-record.ts';

/**
 * The objects of one bucket: one JSON record per object, in a file named by the SHA-256 of its
 * key (a key never becomes a path), written atomically; all records are also held in memory,
 * with the keys in listing order.
 */
export class ObjectIndex {
  private readonly records = new Map<string, ObjectRecord>();
  private readonly keys: SortedKeys;

  private constructor(
    private readonly directory: string,
    records: ObjectRecord[],
  ) {
    for (const record of records) this.records.set(record.key, record);
    this.keys = new SortedKeys(this.records.keys());
  }

  static async load(bucketDirectory: string): Promise<ObjectIndex> {
    const directory = join(bucketDirectory, 'objects');
    await mkdir(directory, { recursive: true });
    const records: ObjectRecord[] = [];
    for (const name of await readdir(directory)) {
      const path = join(directory, name);
      // Dot files are temporaries of atomic writes a crash interrupted.
      if (name.startsWith('.')) await rm(path, { force: true });
      else if (name.endsWith('.json')) {
        const record = await readJsonFile<ObjectRecord>(path);
        if (record) records.push(record);
      }
    }
    return new ObjectIndex(directory, records);
  }

  get(key: string): ObjectRecord | undefined {
    return this.records.get(key);
  }

  get size(): number {
    return this.records.size;
  }

  /** Keys from `start` on (strictly after it unless `inclusive`), in listing order. */
  keysFrom(start: string, inclusive: boolean): Generator<string> {
    return this.keys.from(start, inclusive);
  }

  *allRecords(): Generator<ObjectRecord> {
    yield* this.records.values();
  }

  async put(record: ObjectRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(record.key), JSON.stringify(record));
    this.records.set(record.key, record);
    this.keys.add(record.key);
  }

  async delete(key: string): Promise<void> {
    await rm(this.recordPath(key), { force: true });
    this.records.delete(key);
    this.keys.remove(key);
  }

  private recordPath(key: string): string {
    return join(this.directory, `${createHash('sha256').update(key, 'utf8').digest('hex')}.json`);
  }
}
