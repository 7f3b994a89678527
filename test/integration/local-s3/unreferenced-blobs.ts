import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LOCAL_DATABASE_FILE } from '../../../infra/local/persistence/local-database.ts';
import { OBJECT_BYTES_DIRECTORY } from '../../../infra/local/s3/model/blob-directory.ts';
import type { ObjectRecord, PartRecord } from '../../../infra/local/s3/model/object-record.ts';

/**
 * Blob files (`s3/<bucket>/object-bytes/<id>`, as `<bucket>/<id>`) that no object or part record refers
 * to, and ids still listed as loose: what an interrupted or refused write would leave behind. Read
 * through a read-only connection of its own, beside the running server's.
 */
export async function unreferencedBlobs(dataDirectory: string): Promise<string[]> {
  const database = new DatabaseSync(join(dataDirectory, LOCAL_DATABASE_FILE), { readOnly: true });
  try {
    const referenced = new Set<string>();
    for (const row of database.prepare('SELECT bucket, record FROM s3_objects').all() as Array<{ bucket: string; record: string }>) {
      for (const segment of (JSON.parse(row.record) as ObjectRecord).segments) referenced.add(`${row.bucket}/${segment.blobId}`);
    }
    for (const row of database.prepare('SELECT bucket, record FROM s3_parts').all() as Array<{ bucket: string; record: string }>) {
      referenced.add(`${row.bucket}/${(JSON.parse(row.record) as PartRecord).blobId}`);
    }
    const leftovers = (database.prepare('SELECT bucket, blob_id FROM s3_loose_blobs').all() as Array<{ bucket: string; blob_id: string }>).map((row) => `loose:${row.bucket}/${row.blob_id}`);
    for (const bucket of await readdir(join(dataDirectory, 's3')).catch(() => [])) {
      for (const name of await readdir(join(dataDirectory, 's3', bucket, OBJECT_BYTES_DIRECTORY)).catch(() => [])) {
        if (!referenced.has(`${bucket}/${name}`)) leftovers.push(`${bucket}/${name}`);
      }
    }
    return leftovers.sort();
  } finally {
    database.close();
  }
}
