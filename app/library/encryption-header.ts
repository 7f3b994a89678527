import type { S3Client } from '@aws-sdk/client-s3';

/**
 * The `x-amz-server-side-encryption` the library names: `AES256` for a bucket encrypted with
 * S3-managed keys (the default), `aws:kms` for one encrypted with a KMS key (the stack's
 * `encryptionKey`), whose bucket policy refuses any other value.
 */
export type UploadEncryption = 'AES256' | 'aws:kms';

export const UPLOAD_ENCRYPTIONS: readonly UploadEncryption[] = ['AES256', 'aws:kms'];

/** Every request that creates an object: a bucket policy requiring the header judges these (UploadPart and Complete carry none). */
const OBJECT_CREATING_COMMANDS = new Set(['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand']);

/**
 * Makes the client name server-side encryption (`x-amz-server-side-encryption`, `AES256` unless
 * told otherwise) on every request that creates an object, for deployments whose bucket policy
 * denies uploads without it (outputs `encryptionHeaderRequired`). One middleware covers every
 * upload path (single PUT, multipart, folder markers, copies and moves) so none can forget it; a
 * request that already names an encryption keeps its own.
 */
export function sendEncryptionHeader(s3: S3Client, encryption: UploadEncryption = 'AES256'): void {
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ServerSideEncryption?: string };
      if (OBJECT_CREATING_COMMANDS.has(context.commandName ?? '') && input.ServerSideEncryption === undefined) input.ServerSideEncryption = encryption;
      return next(args);
    },
    { step: 'initialize', name: 'scopedStorageEncryptionHeader', override: true },
  );
}
