import { errors } from 'jose';

/**
 * Whether a jose verification failed because the remote key set could not be fetched or read
 * (network error, timeout, non-200, not JSON): the issuer's fault or the network's, not the
 * caller's, so it is answered as a retryable 503 rather than 401/403.
 */
export function isKeyFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // fetch() rejects with a TypeError; jose reports bad responses with its generic error class.
  return error instanceof TypeError || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC');
}
