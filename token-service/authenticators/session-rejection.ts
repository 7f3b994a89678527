import { errors } from 'jose';
import { UnauthenticatedError, UpstreamUnavailableError, type TokenServiceError } from '../http/token-service-errors.ts';
import { isKeyFetchFailure } from './key-fetch-failure.ts';

/** Why a session token was refused, in words that help the app developer and reveal nothing secret. */
export function sessionRejection(error: unknown): TokenServiceError {
  if (isKeyFetchFailure(error)) return new UpstreamUnavailableError("The session issuer's keys could not be fetched; try again shortly.", 5, { cause: error });
  const options = { cause: error };
  if (error instanceof errors.JWTExpired) return new UnauthenticatedError('The session token has expired.', options);
  if (error instanceof errors.JWTClaimValidationFailed) return new UnauthenticatedError(`The session token's ${error.claim} claim is not accepted.`, options);
  if (error instanceof errors.JOSEAlgNotAllowed) return new UnauthenticatedError("The session token's signing algorithm is not accepted.", options);
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new UnauthenticatedError('The session token signature is not valid.', options);
  }
  return new UnauthenticatedError('The session token is not a valid signed JWT.', options);
}
