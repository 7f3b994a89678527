import { S3Error } from './s3-error.ts';

/** Failures of the object store itself: what is (not) stored and what may be stored. */

export class NoSuchBucket extends S3Error {
  readonly code = 'NoSuchBucket';
  constructor(bucket: string) {
    super('The specified bucket does not exist', { BucketName: bucket });
  }
}

export class NoSuchKey extends S3Error {
  readonly code = 'NoSuchKey';
  constructor(key: string) {
    super('The specified key does not exist.', { Key: key });
  }
}

export class NoSuchUpload extends S3Error {
  readonly code = 'NoSuchUpload';
  constructor(uploadId: string) {
    super('The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
  }
}

export class InvalidPart extends S3Error {
  readonly code = 'InvalidPart';
  constructor(partNumber: number, reason = 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.') {
    super(reason, { PartNumber: String(partNumber) });
  }
}

export class InvalidPartOrder extends S3Error {
  readonly code = 'InvalidPartOrder';
  constructor() {
    super('The list of parts was not in ascending order. Parts must be ordered by part number.');
  }
}

export class EntityTooSmall extends S3Error {
  readonly code = 'EntityTooSmall';
  constructor(partNumber: number, size: number, minimum: number) {
    super('Your proposed upload is smaller than the minimum allowed object size.', { ProposedSize: String(size), MinSizeAllowed: String(minimum), PartNumber: String(partNumber) });
  }
}

export class EntityTooLarge extends S3Error {
  readonly code = 'EntityTooLarge';
  constructor(size: number, maximum: number) {
    super('Your proposed upload exceeds the maximum allowed size', { ProposedSize: String(size), MaxSizeAllowed: String(maximum) });
  }
}

export class PreconditionFailed extends S3Error {
  readonly code = 'PreconditionFailed';
  constructor(condition: string) {
    super('At least one of the pre-conditions you specified did not hold', { Condition: condition });
  }
}

/** Not an error on the wire (304 has no body), but it ends the request the same way. */
export class NotModified extends S3Error {
  readonly code = 'NotModified';
  constructor() {
    super('Not Modified');
  }
}

export class KeyTooLongError extends S3Error {
  readonly code = 'KeyTooLongError';
  constructor(maximum: number) {
    super('Your key is too long', { MaxSizeAllowed: String(maximum) });
  }
}

export class MetadataTooLarge extends S3Error {
  readonly code = 'MetadataTooLarge';
  constructor(maximum: number) {
    super('Your metadata headers exceed the maximum allowed metadata size.', { MaxSizeAllowed: String(maximum) });
  }
}

export class InvalidArgument extends S3Error {
  readonly code = 'InvalidArgument';
  constructor(message: string, argumentName?: string, argumentValue?: string) {
    super(message, {
      ...(argumentName !== undefined && { ArgumentName: argumentName }),
      ...(argumentValue !== undefined && { ArgumentValue: argumentValue }),
    });
  }
}

export class InvalidRange extends S3Error {
  readonly code = 'InvalidRange';
  constructor(range: string, objectSize: number) {
    super('The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: String(objectSize) });
  }
}

/** A `partNumber` read past the object's last part (a non-multipart object has one part). */
export class InvalidPartNumber extends S3Error {
  readonly code = 'InvalidPartNumber';
  constructor(partNumber: number, partCount: number) {
    super('The requested partnumber is not satisfiable', { PartNumberRequested: String(partNumber), ActualPartCount: String(partCount) });
  }
}

export class BadDigest extends S3Error {
  readonly code = 'BadDigest';
}

export class InvalidDigest extends S3Error {
  readonly code = 'InvalidDigest';
}

export class IncompleteBody extends S3Error {
  readonly code = 'IncompleteBody';
  constructor(message = 'You did not provide the number of bytes specified by the Content-Length HTTP header') {
    super(message);
  }
}
