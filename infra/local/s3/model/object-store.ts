import { join } from 'node:path';
import { Bucket } from './bucket.ts';
import { NoSuchBucket } from '../s3-errors.ts';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The buckets the local S3 serves, each stored under `<dataDirectory>/s3/<bucket>/`. */
export class ObjectStore {
  private constructor(private readonly buckets: Map<string, Bucket>) {}

  static async open(options: { dataDirectory: string; bucketNames: string[]; clock: () => Date }): Promise<ObjectStore> {
    const buckets = new Map<string, Bucket>();
    for (const name of options.bucketNames) {
      // Bucket names come from configuration, but they still become a directory name.
      if (!BUCKET_NAME.test(name) || name.includes('..')) throw new Error(`Invalid bucket name ${JSON.stringify(name)}`);
      buckets.set(name, await Bucket.open(name, join(options.dataDirectory, 's3', name), options.clock));
    }
    return new ObjectStore(buckets);
  }

  bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new NoSuchBucket(name);
    return bucket;
  }
}
