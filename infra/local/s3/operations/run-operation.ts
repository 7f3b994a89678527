import type { S3Operation } from '../protocol/parse-operation.ts';
import { getBucketLocation, headBucket, listMultipartUploads, listObjects, listObjectsV2 } from './bucket-listings.ts';
import { deleteObjects } from './delete-objects.ts';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart, uploadPartCopy } from './multipart-uploads.ts';
import type { S3OperationContext } from './operation-context.ts';
import { postObject } from './post-object.ts';
import { getObject } from './read-object.ts';
import { copyObject, deleteObject, putObject } from './write-object.ts';

/** Runs an authorized operation and writes its answer. */
export async function runOperation(operation: S3Operation, context: S3OperationContext): Promise<void> {
  switch (operation.name) {
    case 'ListObjects':
      return listObjects(context);
    case 'ListObjectsV2':
      return listObjectsV2(context);
    case 'ListMultipartUploads':
      return listMultipartUploads(context);
    case 'HeadBucket':
      return headBucket(context);
    case 'GetBucketLocation':
      return getBucketLocation(context);
    case 'DeleteObjects':
      return deleteObjects(context);
    case 'PutObject':
      return putObject(context, operation.key);
    case 'PostObject':
      return postObject(context, operation.key, operation.upload);
    case 'CopyObject':
      return copyObject(context, operation.key, operation.source);
    case 'GetObject':
      return getObject(context, operation.key, { headOnly: false, partNumber: operation.partNumber });
    case 'HeadObject':
      return getObject(context, operation.key, { headOnly: true, partNumber: operation.partNumber });
    case 'DeleteObject':
      return deleteObject(context, operation.key);
    case 'CreateMultipartUpload':
      return createMultipartUpload(context, operation.key);
    case 'UploadPart':
      return uploadPart(context, operation.key, operation.uploadId, operation.partNumber);
    case 'UploadPartCopy':
      return uploadPartCopy(context, operation.key, operation.uploadId, operation.partNumber, operation.source);
    case 'CompleteMultipartUpload':
      return completeMultipartUpload(context, operation.key, operation.uploadId);
    case 'AbortMultipartUpload':
      return abortMultipartUpload(context, operation.key, operation.uploadId);
    case 'ListParts':
      return listParts(context, operation.key, operation.uploadId);
  }
}
