import type { ChecksumAlgorithm } from './checksum-algorithms.ts';

export type EncryptionAlgorithm = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

/** Server-side encryption settings, kept and echoed as S3 does (the bytes are not encrypted locally). */
export interface ServerSideEncryption {
  algorithm: EncryptionAlgorithm;
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
}

/** Standard HTTP headers S3 stores with an object and returns on GET/HEAD. */
export interface StoredHeaders {
  contentType: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
}

/** What a writer sets on an object (PutObject, CopyObject with REPLACE, CreateMultipartUpload). */
export interface ObjectAttributes {
  headers: StoredHeaders;
  /** `x-amz-meta-*` headers, names lower-case without the prefix. */
  userMetadata: Record<string, string>;
  encryption: ServerSideEncryption;
  storageClass: string;
}

export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64 digest; composite checksums of multipart objects end in `-<part count>`. */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

/**
 * A stretch of an object's bytes stored in one blob file. A multipart object keeps one per part,
 * in part order, so its segments are also its part boundaries (`partNumber` reads).
 */
export interface BlobSegment {
  blobId: string;
  size: number;
}

export interface ObjectRecord extends ObjectAttributes {
  key: string;
  size: number;
  /** Quoted, as on the wire. */
  etag: string;
  /** ISO-8601. */
  lastModified: string;
  segments: BlobSegment[];
  checksum?: ObjectChecksum;
  partCount?: number;
}

export interface UploadRecord {
  uploadId: string;
  key: string;
  /** ISO-8601. */
  initiated: string;
  attributes: ObjectAttributes;
  checksumAlgorithm?: ChecksumAlgorithm;
  /** ARN of whoever started the upload (ListMultipartUploads' Initiator). */
  initiator: string;
}

export interface PartRecord {
  partNumber: number;
  blobId: string;
  size: number;
  /** Quoted. */
  etag: string;
  lastModified: string;
  /** Base64 checksum of the part in its upload's algorithm. */
  checksum?: string;
}
