import type { ListObjectsPage } from '../model/list-objects.ts';
import type { ObjectRecord, PartRecord, UploadRecord } from '../model/object-record.ts';
import { renderXmlDocument } from './xml-documents.ts';

export interface Owner {
  ID: string;
  DisplayName: string;
}

/**
 * `encoding-type=url`: S3 percent-encodes listed keys, prefixes, delimiters and markers as URLs do
 * (a space is `%20`, never a form's `+`, which clients decode as a plus), keeping `/`, so clients
 * can list keys XML cannot carry.
 */
function encodeForListing(text: string, urlEncoding: boolean): string {
  return urlEncoding ? encodeURIComponent(text).replace(/%2F/g, '/') : text;
}

/** ListObjects (v1)'s answer: `Marker` always, `NextMarker` when the caller computed one, owners always. */
export function renderListObjectsResult(input: {
  bucket: string;
  prefix: string;
  delimiter?: string;
  marker: string;
  nextMarker?: string;
  maxKeys: number;
  urlEncoding: boolean;
  page: ListObjectsPage;
  owner: Owner;
}): string {
  const encode = (text: string): string => encodeForListing(text, input.urlEncoding);
  return renderXmlDocument('ListBucketResult', {
    Name: input.bucket,
    Prefix: encode(input.prefix),
    Marker: encode(input.marker),
    ...(input.nextMarker !== undefined && { NextMarker: encode(input.nextMarker) }),
    MaxKeys: input.maxKeys,
    ...(input.delimiter !== undefined && { Delimiter: encode(input.delimiter) }),
    IsTruncated: input.page.isTruncated,
    ...(input.urlEncoding && { EncodingType: 'url' }),
    Contents: input.page.objects.map((record) => listedObject(record, encode, input.owner)),
    CommonPrefixes: input.page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
}

export function renderListObjectsV2Result(input: {
  bucket: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  urlEncoding: boolean;
  continuationToken?: string;
  nextContinuationToken?: string;
  startAfter?: string;
  page: ListObjectsPage;
  owner?: Owner;
}): string {
  const encode = (text: string): string => encodeForListing(text, input.urlEncoding);
  return renderXmlDocument('ListBucketResult', {
    Name: input.bucket,
    Prefix: encode(input.prefix),
    ...(input.delimiter !== undefined && { Delimiter: encode(input.delimiter) }),
    MaxKeys: input.maxKeys,
    KeyCount: input.page.objects.length + input.page.commonPrefixes.length,
    IsTruncated: input.page.isTruncated,
    ...(input.urlEncoding && { EncodingType: 'url' }),
    ...(input.continuationToken !== undefined && { ContinuationToken: input.continuationToken }),
    ...(input.nextContinuationToken !== undefined && { NextContinuationToken: input.nextContinuationToken }),
    ...(input.startAfter !== undefined && { StartAfter: encode(input.startAfter) }),
    Contents: input.page.objects.map((record) => listedObject(record, encode, input.owner)),
    CommonPrefixes: input.page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
}

/** One `Contents` entry of either ListObjects version. */
function listedObject(record: ObjectRecord, encode: (text: string) => string, owner: Owner | undefined): Record<string, unknown> {
  return {
    Key: encode(record.key),
    LastModified: record.lastModified,
    ETag: record.etag,
    ...(record.checksum && { ChecksumAlgorithm: record.checksum.algorithm, ChecksumType: record.checksum.type }),
    Size: record.size,
    ...(owner && { Owner: owner }),
    StorageClass: record.storageClass,
  };
}

export function renderListMultipartUploadsResult(input: {
  bucket: string;
  prefix: string;
  delimiter?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  maxUploads: number;
  urlEncoding: boolean;
  uploads: UploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  owner: Owner;
}): string {
  const encode = (text: string): string => encodeForListing(text, input.urlEncoding);
  const last = input.uploads.at(-1);
  return renderXmlDocument('ListMultipartUploadsResult', {
    Bucket: input.bucket,
    KeyMarker: encode(input.keyMarker ?? ''),
    UploadIdMarker: input.uploadIdMarker ?? '',
    ...(input.isTruncated && last && { NextKeyMarker: encode(last.key), NextUploadIdMarker: last.uploadId }),
    Prefix: encode(input.prefix),
    ...(input.delimiter !== undefined && { Delimiter: encode(input.delimiter) }),
    MaxUploads: input.maxUploads,
    ...(input.urlEncoding && { EncodingType: 'url' }),
    IsTruncated: input.isTruncated,
    Upload: input.uploads.map((upload) => ({
      Key: encode(upload.key),
      UploadId: upload.uploadId,
      Initiator: { ID: upload.initiator, DisplayName: upload.initiator },
      Owner: input.owner,
      StorageClass: upload.attributes.storageClass,
      Initiated: upload.initiated,
      ...(upload.checksumAlgorithm && { ChecksumAlgorithm: upload.checksumAlgorithm }),
    })),
    CommonPrefixes: input.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
}

export function renderListPartsResult(input: {
  bucket: string;
  upload: UploadRecord;
  partNumberMarker: number;
  maxParts: number;
  parts: PartRecord[];
  isTruncated: boolean;
  owner: Owner;
}): string {
  const { upload } = input;
  const checksumElement = upload.checksumAlgorithm ? `Checksum${upload.checksumAlgorithm}` : undefined;
  return renderXmlDocument('ListPartsResult', {
    Bucket: input.bucket,
    Key: upload.key,
    UploadId: upload.uploadId,
    PartNumberMarker: input.partNumberMarker,
    ...(input.parts.length > 0 && { NextPartNumberMarker: (input.parts.at(-1) as PartRecord).partNumber }),
    MaxParts: input.maxParts,
    IsTruncated: input.isTruncated,
    Part: input.parts.map((part) => ({
      PartNumber: part.partNumber,
      LastModified: part.lastModified,
      ETag: part.etag,
      Size: part.size,
      ...(checksumElement && part.checksum !== undefined && { [checksumElement]: part.checksum }),
    })),
    Initiator: { ID: upload.initiator, DisplayName: upload.initiator },
    Owner: input.owner,
    StorageClass: upload.attributes.storageClass,
    ...(upload.checksumAlgorithm && { ChecksumAlgorithm: upload.checksumAlgorithm, ChecksumType: 'COMPOSITE' }),
  });
}
