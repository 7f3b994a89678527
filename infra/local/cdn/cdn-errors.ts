/**
 * The failures the local CDN answers, one class per CloudFront error code. Each carries the
 * message CloudFront sends; the HTTP status lives in `protocol/render-cdn-error.ts`.
 */
export abstract class CdnError extends Error {
  abstract readonly code: string;
}

/** A restricted path was requested without a `Key-Pair-Id` in the query string or cookies. */
export class MissingKey extends CdnError {
  readonly code = 'MissingKey';
  constructor() {
    super('Missing Key-Pair-Id query parameter or cookie value');
  }
}

/** The `Key-Pair-Id` is not a key of the behaviour's trusted key groups. */
export class InvalidKey extends CdnError {
  readonly code = 'InvalidKey';
  constructor() {
    super('Unknown Key');
  }
}

/** The signature is missing, undecodable, or does not verify against the key. */
export class MalformedSignature extends CdnError {
  readonly code = 'MalformedSignature';
  constructor() {
    super('Malformed signature');
  }
}

/** The policy (or the canned `Expires`) is missing, undecodable, or not a policy CloudFront accepts. */
export class MalformedPolicy extends CdnError {
  readonly code = 'MalformedPolicy';
  constructor() {
    super('Malformed Policy');
  }
}

/** A valid signature whose policy does not allow this request (expired, not yet valid, other IP, other resource), or the origin refused. */
export class AccessDenied extends CdnError {
  readonly code = 'AccessDenied';
  constructor() {
    super('Access denied');
  }
}

/** The origin has no such object (S3's answer, relayed). */
export class NoSuchKey extends CdnError {
  readonly code = 'NoSuchKey';
  constructor() {
    super('The specified key does not exist.');
  }
}

/** A method the distribution does not allow (only GET and HEAD are). */
export class MethodNotAllowed extends CdnError {
  readonly code = 'MethodNotAllowed';
  constructor() {
    super('This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.');
  }
}

/** A Range outside the object (S3's answer, relayed). */
export class InvalidRange extends CdnError {
  readonly code = 'InvalidRange';
  constructor(readonly objectSize: number) {
    super('The requested range is not satisfiable');
  }
}

/** A path that does not percent-decode to a key. */
export class InvalidUri extends CdnError {
  readonly code = 'InvalidURI';
  constructor() {
    super("Couldn't parse the specified URI.");
  }
}

/** The request names another host than this machine's loopback names (DNS-rebinding guard). */
export class ForbiddenHost extends CdnError {
  readonly code = 'ForbiddenHost';
}
