import type { S3Client } from '@aws-sdk/client-s3';

/** Every request that creates an object: a bucket policy requiring the header judges these (UploadPart and Complete carry none). */
const OBJECT_CREATING_COMMANDS = new Set(['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand']);

/**
 * Makes the client name server-side encryption (`x-amz-server-side-encryption: AES256`) on every
 * request that creates an object, for deployments whose bucket policy denies uploads without it
 * (outputs `encryptionHeaderRequired`). One middleware covers every upload path (single PUT,
 * multipart, folder markers, copies and moves) so none can forget it; a request that already
 * names an encryption keeps its own.
 */
export function sendEncryptionHeader(s3: S3Client): void {
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ServerSideEncryption?: string };
      if (OBJECT_CREATING_COMMANDS.has(context.commandName ?? '') && input.ServerSideEncryption === undefined) input.ServerSideEncryption = 'AES256';
      return next(args);
    },
    { step: 'initialize', name: 'scopedStorageEncryptionHeader', override: true },
  );
}
