import type { Hono } from 'hono';
import type { TokenServiceEnv } from '../http/token-service-env.ts';
import { UnauthenticatedError } from '../http/token-service-errors.ts';

/** The verified app session: who the user is and the claims the session carried. */
export interface AuthenticatedSession {
  userId: string;
  claims: Record<string, unknown>;
}

export interface Authenticator {
  /** Verifies an app session token; rejects with {@link UnauthenticatedError} (or an upstream error when keys cannot be fetched). */
  authenticate(sessionToken: string): Promise<AuthenticatedSession>;
  /** Routes the authenticator serves itself. Only the development sign-in has any, so they exist only where it is used. */
  readonly routes?: Hono<TokenServiceEnv>;
  /** A key for `purpose` derived from the authenticator's own secret, where it has one: a secret every instance of the deployment shares. */
  readonly derivedKey?: (purpose: string) => Promise<Uint8Array>;
}

/**
 * App user ids become Cognito developer user identifiers, which may be any 1 to 1024 characters
 * (so identity-provider subjects like `auth0|abc` work). Length counts UTF-16 code units, never
 * more permissive than Cognito's count. Control characters and lone surrogates are refused: no
 * identity provider issues them, and they cannot be written unambiguously anywhere. User ids only
 * ever travel as whole JSON values and appear in logs as a keyed hash, so no separator is special.
 */
const MAX_USER_ID_LENGTH = 1024;
const UNSAFE_USER_ID_CHARACTER = /[\p{Cc}\p{Cs}]/u;
export const USER_ID_RULE = `1 to ${MAX_USER_ID_LENGTH} characters without control characters`;

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_USER_ID_LENGTH && !UNSAFE_USER_ID_CHARACTER.test(value);
}

/** The session of a verified token's claims; its user id is the `userIdClaim` claim. */
export function sessionFromClaims(claims: Record<string, unknown>, userIdClaim: string): AuthenticatedSession {
  const userId = claims[userIdClaim];
  if (!isValidUserId(userId)) throw new UnauthenticatedError(`The session's ${userIdClaim} claim is not a valid user id (${USER_ID_RULE}).`);
  return { userId, claims };
}
