import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ScopedStorageClient } from '../library/index.ts';
import { toFullKey } from '../library/object-keys.ts';
import { toStorageError } from '../library/storage-errors.ts';

/**
 * Whether one of the signed-in identity's objects exists. S3 answers a delete of a missing key
 * with 204 all the same, so `rm` asks first to be able to say "not found".
 */
export async function objectExists(client: ScopedStorageClient, bucket: string, key: string): Promise<boolean> {
  const fullKey = toFullKey((await client.whoami()).prefix, key);
  try {
    await client.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return false;
    if (status !== 403) throw toStorageError(error, `checking ${key}`);
  }
  // S3 answers 403 for a missing key to a caller who may not list the bucket root; a listing of the key tells.
  // When even that is denied, the delete itself decides.
  const listing = await client.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: fullKey, MaxKeys: 1 })).catch(() => undefined);
  return listing === undefined || listing.Contents?.some((object) => object.Key === fullKey) === true;
}
