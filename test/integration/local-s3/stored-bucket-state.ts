import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LOCAL_DATABASE_FILE } from '../../../infra/local/persistence/local-database.ts';
import type { ObjectRecord, UploadRecord } from '../../../infra/local/s3/model/object-record.ts';

/**
 * What a bucket holds, read from the local cloud's database through a read-only connection of its
 * own (beside the running server's): object keys sorted, and the keys of uploads in progress in
 * ListMultipartUploads order.
 */
export function storedBucketState(dataDirectory: string, bucket: string): { keys: string[]; uploads: string[] } {
  const database = new DatabaseSync(join(dataDirectory, LOCAL_DATABASE_FILE), { readOnly: true });
  try {
    const objects = database.prepare('SELECT record FROM s3_objects WHERE bucket = ?').all(bucket) as Array<{ record: string }>;
    const uploads = database.prepare('SELECT record FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated, upload_id').all(bucket) as Array<{ record: string }>;
    return {
      keys: objects.map((row) => (JSON.parse(row.record) as ObjectRecord).key).sort(),
      uploads: uploads.map((row) => (JSON.parse(row.record) as UploadRecord).key),
    };
  } finally {
    database.close();
  }
}
