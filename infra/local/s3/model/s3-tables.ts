import type { LocalDatabase } from '../../persistence/local-database.ts';

/**
 * The local S3's tables (see docs/local-state.md). Keys are BLOBs of their UTF-8 bytes so the
 * primary key is S3's listing order and a listing is one range scan. Records are the JSON of
 * `ObjectRecord`, `UploadRecord` and `PartRecord`: read whole, never queried inside.
 */
export function createS3Tables(database: LocalDatabase): void {
  database.exec(`
    CREATE TABLE IF NOT EXISTS s3_objects (
      bucket TEXT NOT NULL,
      key BLOB NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (bucket, key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS s3_uploads (
      bucket TEXT NOT NULL,
      upload_id TEXT NOT NULL,
      key BLOB NOT NULL,
      initiated TEXT NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (bucket, upload_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS s3_uploads_in_listing_order ON s3_uploads (bucket, key, initiated, upload_id);
    CREATE TABLE IF NOT EXISTS s3_parts (
      bucket TEXT NOT NULL,
      upload_id TEXT NOT NULL,
      part_number INTEGER NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (bucket, upload_id, part_number),
      FOREIGN KEY (bucket, upload_id) REFERENCES s3_uploads (bucket, upload_id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS s3_loose_blobs (
      bucket TEXT NOT NULL,
      blob_id TEXT NOT NULL,
      PRIMARY KEY (bucket, blob_id)
    ) WITHOUT ROWID;
  `);
}
