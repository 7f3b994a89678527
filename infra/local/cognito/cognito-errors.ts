/**
 * The errors Cognito Identity answers with. Each class names one `__type` of the AWS JSON 1.1
 * protocol; `renderError` in `protocol/render-response.ts` is the one place that puts them on the
 * wire (HTTP status included).
 */
export abstract class CognitoIdentityError extends Error {
  abstract readonly type: string;
}

export class NotAuthorizedException extends CognitoIdentityError {
  readonly type = 'NotAuthorizedException';
}
export class ResourceNotFoundException extends CognitoIdentityError {
  readonly type = 'ResourceNotFoundException';
}
export class InvalidParameterException extends CognitoIdentityError {
  readonly type = 'InvalidParameterException';
}
export class ResourceConflictException extends CognitoIdentityError {
  readonly type = 'ResourceConflictException';
}
export class InvalidIdentityPoolConfigurationException extends CognitoIdentityError {
  readonly type = 'InvalidIdentityPoolConfigurationException';
}
export class InternalErrorException extends CognitoIdentityError {
  readonly type = 'InternalErrorException';
}

// Errors every AWS JSON service shares (request framing and caller authentication).
export class SerializationException extends CognitoIdentityError {
  readonly type = 'SerializationException';
}
export class UnknownOperationException extends CognitoIdentityError {
  readonly type = 'UnknownOperationException';
}
export class RequestEntityTooLargeException extends CognitoIdentityError {
  readonly type = 'RequestEntityTooLargeException';
}
export class AccessDeniedException extends CognitoIdentityError {
  readonly type = 'AccessDeniedException';
}
export class UnrecognizedClientException extends CognitoIdentityError {
  readonly type = 'UnrecognizedClientException';
}
export class InvalidSignatureException extends CognitoIdentityError {
  readonly type = 'InvalidSignatureException';
}
class IncompleteSignatureException extends CognitoIdentityError {
  readonly type = 'IncompleteSignatureException';
}
export class MissingAuthenticationTokenException extends CognitoIdentityError {
  readonly type = 'MissingAuthenticationTokenException';
}
export class ExpiredTokenException extends CognitoIdentityError {
  readonly type = 'ExpiredTokenException';
}

/** A request whose Host header names no allowed host: not an AWS error, as AWS owns its names. */
export class ForbiddenHostException extends CognitoIdentityError {
  readonly type = 'ForbiddenHostException';
}

const callerRejectionErrors = {
  NotAuthorized: NotAuthorizedException,
  AccessDenied: AccessDeniedException,
  UnrecognizedClient: UnrecognizedClientException,
  InvalidSignature: InvalidSignatureException,
  IncompleteSignature: IncompleteSignatureException,
  MissingAuthenticationToken: MissingAuthenticationTokenException,
  ExpiredToken: ExpiredTokenException,
} as const;

/** The error for a caller the developer-call check turned away (see `service-hooks.ts`). */
export function callerRejectionError(rejection: keyof typeof callerRejectionErrors, message: string): CognitoIdentityError {
  return new callerRejectionErrors[rejection](message);
}
