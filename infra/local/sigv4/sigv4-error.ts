/**
 * Why a SigV4-authenticated request was turned away. The codes are S3's (the strictest user of
 * SigV4); other endpoints map them to their own error vocabulary.
 */
type SigV4ErrorCode =
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'ExpiredToken'
  | 'IncompleteBody'
  | 'InvalidAccessKeyId'
  | 'InvalidArgument'
  | 'InvalidRequest'
  | 'InvalidToken'
  | 'MissingSecurityHeader'
  | 'RequestTimeTooSkewed'
  | 'SignatureDoesNotMatch'
  | 'XAmzContentSHA256Mismatch';

export class SigV4Error extends Error {
  constructor(
    readonly code: SigV4ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = `SigV4Error(${code})`;
  }
}
