import { S3Error } from '../model/s3-error.ts';

/** Failures of a request itself (framing, unsupported features, authorization), as opposed to the store's. */

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

export class InternalError extends S3Error {
  readonly code = 'InternalError';
  constructor() {
    super('We encountered an internal error. Please try again.');
  }
}

/** The body stopped arriving before it was complete. */
export class RequestTimeout extends S3Error {
  readonly code = 'RequestTimeout';
  constructor() {
    super('Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.');
  }
}
