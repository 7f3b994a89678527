import { ConflictError, ForbiddenError, InternalError, NotFoundError, UpstreamError, UpstreamUnavailableError, type TokenServiceError } from '../http/token-service-errors.ts';

/** Our own words for the failures whose meaning depends on the call; AWS's text is never passed on. */
export interface CognitoFailureMessages {
  conflict?: string;
  notFound?: string;
  /** For calls that name an identity: it exists but may no longer be used (every login was unlinked). */
  inaccessibleIdentity?: string;
}

const THROTTLING = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException']);
/** The service's own permissions or pool settings are wrong: nothing the caller can fix. */
const MISCONFIGURATION = new Set([
  'NotAuthorizedException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidIdentityPoolConfigurationException',
]);
const RETRY_AFTER_SECONDS = 1;

/** Maps an error of the Cognito client to a token service error, keeping the original as its cause for the logs. */
export function translateCognitoError(error: unknown, messages: CognitoFailureMessages = {}): TokenServiceError {
  const name = error instanceof Error ? error.name : '';
  const options = { cause: error };
  if (THROTTLING.has(name)) {
    return new UpstreamUnavailableError('Cognito is busy; try again shortly.', RETRY_AFTER_SECONDS, options);
  }
  if (name === 'ResourceConflictException') return new ConflictError(messages.conflict ?? 'The identity is linked differently than this request expects.', options);
  if (name === 'ResourceNotFoundException') return new NotFoundError(messages.notFound ?? 'No such identity.', options);
  // Cognito says "Access to Identity '...' is forbidden." for an identity whose last login was unlinked; any other NotAuthorizedException is ours to fix.
  if (name === 'NotAuthorizedException' && messages.inaccessibleIdentity && /^Access to Identity\b/.test((error as Error).message)) {
    return new ForbiddenError(messages.inaccessibleIdentity, options);
  }
  if (MISCONFIGURATION.has(name)) return new InternalError('The token service is not set up to get tokens from Cognito.', options);
  return new UpstreamError('Cognito could not answer the request.', options);
}
