import { join } from 'node:path';
import { openStoreConnection, type LocalDatabase, type StoreConnection } from '../../persistence/local-database.ts';
import { Bucket } from './bucket.ts';
import { createS3Tables } from './s3-tables.ts';
import { NoSuchBucket } from '../s3-errors.ts';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The buckets the local S3 serves: their records in the local database's `s3_` tables, their
 * bytes under `<dataDirectory>/s3/<bucket>/object-bytes/`. Given a `database`, the store uses that
 * connection and leaves closing it to its owner; otherwise it opens its own and closes it in {@link close}.
 */
export class ObjectStore {
  private constructor(
    private readonly buckets: Map<string, Bucket>,
    private readonly connection: StoreConnection,
  ) {}

  static async open(options: { dataDirectory: string; bucketNames: string[]; clock: () => Date; database?: LocalDatabase }): Promise<ObjectStore> {
    for (const name of options.bucketNames) {
      // Bucket names come from configuration, but they still become a directory name.
      if (!BUCKET_NAME.test(name) || name.includes('..')) throw new Error(`Invalid bucket name ${JSON.stringify(name)}`);
    }
    return openStoreConnection(options, async (connection) => {
      const { database } = connection;
      createS3Tables(database);
      const buckets = new Map<string, Bucket>();
      for (const name of options.bucketNames) {
        buckets.set(name, await Bucket.open({ name, directory: join(options.dataDirectory, 's3', name), clock: options.clock, database }));
      }
      return new ObjectStore(buckets, connection);
    });
  }

  bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new NoSuchBucket(name);
    return bucket;
  }

  /** Closes the database connection if the store opened it; a shared one stays open. */
  close(): void {
    this.connection.close();
  }
}
