import type { S3Client } from '@aws-sdk/client-s3';
import { StorageError } from './storage-errors.ts';

/**
 * The `x-amz-server-side-encryption` the library names: `AES256` for a bucket encrypted with
 * S3-managed keys (the default), `aws:kms` for one encrypted with a KMS key (the stack's
 * `encryptionKey`), whose bucket policy refuses any other value.
 */
export type UploadEncryption = 'AES256' | 'aws:kms';

/** The encryption uploads and upload links name, checked. */
export interface UploadEncryptionSetting {
  algorithm: UploadEncryption;
  /**
   * With `aws:kms`, the bucket's key: S3 encrypts a request naming `aws:kms` without a key id with
   * the account's `aws/s3` key, not the bucket's default key.
   */
  kmsKeyArn?: string;
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

/** Checks the client's `encryption` and `encryptionKeyArn` options (`InvalidConfiguration` when wrong). */
export function checkUploadEncryption(algorithm: unknown = 'AES256', kmsKeyArn?: unknown): UploadEncryptionSetting {
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms') throw new StorageError('InvalidConfiguration', `encryption must be "AES256" or "aws:kms", got ${JSON.stringify(algorithm)}.`);
  if (kmsKeyArn === undefined) return { algorithm };
  if (algorithm !== 'aws:kms') throw new StorageError('InvalidConfiguration', 'encryptionKeyArn names a KMS key: it needs encryption "aws:kms".');
  if (typeof kmsKeyArn !== 'string' || !KMS_KEY_ARN.test(kmsKeyArn)) {
    throw new StorageError('InvalidConfiguration', `encryptionKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${JSON.stringify(kmsKeyArn)}.`);
  }
  return { algorithm, kmsKeyArn };
}

/** Every request that creates an object: a bucket policy requiring the header judges these (UploadPart and Complete carry none). */
const OBJECT_CREATING_COMMANDS = new Set(['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand']);

/**
 * Makes the client name server-side encryption (`x-amz-server-side-encryption`, and the KMS key
 * when given) on every request that creates an object, for deployments whose bucket policy
 * denies uploads without it (outputs `encryptionHeaderRequired`). One middleware covers every
 * upload path (single PUT, multipart, folder markers, copies and moves) so none can forget it; a
 * request that already names an encryption keeps its own.
 */
export function sendEncryptionHeader(s3: S3Client, encryption: UploadEncryptionSetting = { algorithm: 'AES256' }): void {
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ServerSideEncryption?: string; SSEKMSKeyId?: string };
      if (OBJECT_CREATING_COMMANDS.has(context.commandName ?? '') && input.ServerSideEncryption === undefined) {
        input.ServerSideEncryption = encryption.algorithm;
        if (encryption.kmsKeyArn !== undefined) input.SSEKMSKeyId = encryption.kmsKeyArn;
      }
      return next(args);
    },
    { step: 'initialize', name: 'scopedStorageEncryptionHeader', override: true },
  );
}
