import type { S3Operation } from '../protocol/parse-operation.ts';
import { requestHeader, type S3Request } from '../protocol/s3-request.ts';
import type { RequestContext } from './authorize-callback.ts';

interface RequiredPermission {
  action: string;
  resource: string;
  /** Operation-specific condition keys, added to the request's common ones. */
  context: RequestContext;
}

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export function objectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

/**
 * The IAM actions an operation needs, on which resources, following S3's documented mapping
 * (e.g. HeadObject is s3:GetObject, UploadPart is s3:PutObject, copies also need s3:GetObject on
 * the source). DeleteObjects needs none up front: each key is checked on its own.
 * `uploadEncryption` tells the encryption a multipart upload was created with: S3 judges an
 * upload's encryption on the request that names it (CreateMultipartUpload), so its parts and its
 * completion carry it as `s3:x-amz-server-side-encryption` (a bucket policy requiring the header
 * then admits them).
 */
export function permissionsFor(operation: S3Operation, request: S3Request, uploadEncryption: (uploadId: string) => string | undefined = () => undefined): RequiredPermission[] {
  const onBucket = (action: string, context: RequestContext = {}): RequiredPermission[] => [{ action, resource: bucketArn(operation.bucket), context }];
  const onObject = (action: string, context: RequestContext = {}): RequiredPermission => ({
    action,
    resource: objectArn(operation.bucket, 'key' in operation ? operation.key : ''),
    context,
  });
  const encryptionOf = (uploadId: string): RequestContext => {
    const algorithm = uploadEncryption(uploadId);
    return algorithm === undefined ? {} : { 's3:x-amz-server-side-encryption': algorithm };
  };
  switch (operation.name) {
    case 'ListObjects':
    case 'ListObjectsV2':
      return onBucket('s3:ListBucket', listingContext(request, 'max-keys'));
    case 'ListMultipartUploads':
      return onBucket('s3:ListBucketMultipartUploads', listingContext(request, 'max-uploads'));
    case 'HeadBucket':
      return onBucket('s3:ListBucket');
    case 'GetBucketLocation':
      return onBucket('s3:GetBucketLocation');
    case 'DeleteObjects':
      return [];
    case 'GetObject':
    case 'HeadObject':
      return [onObject('s3:GetObject')];
    case 'DeleteObject':
      return [onObject('s3:DeleteObject')];
    case 'PutObject':
    case 'PostObject':
    case 'CreateMultipartUpload':
      return [onObject('s3:PutObject', writeContext(request))];
    case 'CompleteMultipartUpload':
      return [onObject('s3:PutObject', { ...writeContext(request), ...encryptionOf(operation.uploadId) })];
    case 'UploadPart':
      return [onObject('s3:PutObject', encryptionOf(operation.uploadId))];
    case 'CopyObject':
    case 'UploadPartCopy':
      return [
        onObject('s3:PutObject', {
          ...writeContext(request),
          ...headerContext(request, ['x-amz-copy-source', 'x-amz-metadata-directive']),
          ...(operation.name === 'UploadPartCopy' && encryptionOf(operation.uploadId)),
        }),
        { action: 's3:GetObject', resource: objectArn(operation.source.bucket, operation.source.key), context: {} },
      ];
    case 'AbortMultipartUpload':
      return [onObject('s3:AbortMultipartUpload')];
    case 'ListParts':
      return [onObject('s3:ListMultipartUploadParts')];
  }
}

/** `s3:prefix`, `s3:delimiter` and `s3:max-keys` are present only when the request has them. */
function listingContext(request: S3Request, maxParameter: string): RequestContext {
  const context: RequestContext = {};
  const prefix = request.query.get('prefix');
  const delimiter = request.query.get('delimiter');
  const max = request.query.get(maxParameter);
  if (prefix !== undefined) context['s3:prefix'] = prefix;
  if (delimiter !== undefined) context['s3:delimiter'] = delimiter;
  if (max !== undefined) context['s3:max-keys'] = max;
  return context;
}

function writeContext(request: S3Request): RequestContext {
  return headerContext(request, [
    'x-amz-server-side-encryption',
    'x-amz-server-side-encryption-aws-kms-key-id',
    'x-amz-acl',
    'x-amz-storage-class',
    'if-none-match',
    'if-match',
  ]);
}

/** Condition keys named `s3:<header>` for the headers the request carries. */
function headerContext(request: S3Request, headers: string[]): RequestContext {
  const context: RequestContext = {};
  for (const name of headers) {
    const value = requestHeader(request, name);
    if (value !== undefined) context[`s3:${name}`] = value;
  }
  return context;
}
