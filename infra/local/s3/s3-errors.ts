/**
 * An error S3 answers with. `code` is S3's error code; `details` become extra elements of the
 * `<Error>` document (`Key`, `UploadId`, `Condition`, ...). The HTTP status of each code is
 * decided in one place, `protocol/render-error.ts`. Every error the local S3 answers with is in
 * this file: first the store's own failures, then the request's.
 */
export abstract class S3Error extends Error {
  abstract readonly code: string;
  readonly details: Record<string, string>;

  constructor(message: string, details: Record<string, string> = {}) {
    super(message);
    this.details = details;
  }

  override get name(): string {
    return this.code;
  }
}

// Failures of the object store itself: what is (not) stored and what may be stored.

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
  /** `partNumber` for a multipart part under the minimum part size; absent for a POST under its policy's `content-length-range`. */
  constructor(partNumber: number | undefined, size: number, minimum: number) {
    super('Your proposed upload is smaller than the minimum allowed object size.', {
      ProposedSize: String(size),
      MinSizeAllowed: String(minimum),
      ...(partNumber !== undefined && { PartNumber: String(partNumber) }),
    });
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

// Failures of a request itself (framing, unsupported features, authorization), as opposed to the store's.

export class AccessDenied extends S3Error {
  readonly code = 'AccessDenied';
  constructor(message = 'Access Denied') {
    super(message);
  }
}

export class MalformedXML extends S3Error {
  readonly code = 'MalformedXML';
  constructor() {
    super('The XML you provided was not well-formed or did not validate against our published schema');
  }
}

export class NotImplemented extends S3Error {
  readonly code = 'NotImplemented';
  constructor(what: string) {
    super(`A header or query you provided implies functionality that is not implemented: ${what}`);
  }
}

export class InvalidRequest extends S3Error {
  readonly code = 'InvalidRequest';
}

export class MethodNotAllowed extends S3Error {
  readonly code = 'MethodNotAllowed';
  constructor(method: string, resourceType: 'BUCKET' | 'OBJECT') {
    super('The specified method is not allowed against this resource.', { Method: method, ResourceType: resourceType });
  }
}

export class MissingContentLength extends S3Error {
  readonly code = 'MissingContentLength';
  constructor() {
    super('You must provide the Content-Length HTTP header.');
  }
}

export class AccessControlListNotSupported extends S3Error {
  readonly code = 'AccessControlListNotSupported';
  constructor() {
    super('The bucket does not allow ACLs');
  }
}

/** A CORS preflight or request no CORS rule allows (S3 answers these as 403 `AccessForbidden`). */
export class CorsForbidden extends S3Error {
  readonly code = 'AccessForbidden';
  constructor(message: string, method: string, resourceType: 'BUCKET' | 'OBJECT') {
    super(message, { Method: method, ResourceType: resourceType });
  }
}

/** A CORS preflight without the Origin or Access-Control-Request-Method header S3 needs. */
export class CorsPreflightIncomplete extends S3Error {
  readonly code = 'BadRequest';
}

/** A POST Object body that is not well-formed `multipart/form-data` (or breaks one of its parser's limits). */
export class MalformedPOSTRequest extends S3Error {
  readonly code = 'MalformedPOSTRequest';
  constructor(message = 'The body of your POST request is not well-formed multipart/form-data.') {
    super(message);
  }
}

/** A POST policy that is not base64 JSON of the documented shape. */
export class InvalidPolicyDocument extends S3Error {
  readonly code = 'InvalidPolicyDocument';
}

/** The form fields before the file of a POST Object are over S3's limit. */
export class MaxPostPreDataLengthExceeded extends S3Error {
  readonly code = 'MaxPostPreDataLengthExceededError';
  constructor() {
    super('Your POST request fields preceding the upload file were too large.');
  }
}

/** A POST Object form without a file, or with more than one. */
export class IncorrectNumberOfFilesInPostRequest extends S3Error {
  readonly code = 'IncorrectNumberOfFilesInPostRequest';
  constructor() {
    super('POST requires exactly one file upload per request.');
  }
}

/** A path whose percent-encoding does not decode. */
export class InvalidURI extends S3Error {
  readonly code = 'InvalidURI';
  constructor() {
    super("Couldn't parse the specified URI.");
  }
}

export class InternalError extends S3Error {
  readonly code = 'InternalError';
  constructor() {
    super('We encountered an internal error. Please try again.');
  }
}

/**
 * A stored object whose blob file is gone (deleted by hand, lost by the disk). Answered as S3's
 * 500 InternalError; logged as one line naming what is missing, for whoever runs the local cloud.
 */
export class ObjectBytesMissing extends S3Error {
  readonly code = 'InternalError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly blobId: string,
  ) {
    super('We encountered an internal error. Please try again.');
  }

  /** What the log shows (console.error inspects errors): one line, not a stack and a property dump. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ObjectBytesMissing: object ${JSON.stringify(this.key)} in bucket ${this.bucket} has lost its bytes: blob file object-bytes/${this.blobId} is missing`;
  }
}

/** The body stopped arriving before it was complete. */
export class RequestTimeout extends S3Error {
  readonly code = 'RequestTimeout';
  constructor() {
    super('Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.');
  }
}

/** A request whose Host header names no allowed host: not an AWS error, as AWS owns its names. */
export class ForbiddenHost extends S3Error {
  readonly code = 'ForbiddenHost';
}
