import type { Hono } from 'hono';
import type { TokenServiceEnv } from '../app-env.ts';
import { UnauthenticatedError } from '../errors.ts';

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
}

/** App user ids become Cognito developer user identifiers and log hashes; anything else is refused. */
export const USER_ID_PATTERN = /^[\w.@+=:-]{1,128}$/;

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

/** The session of a verified token's claims; its user id is the `userIdClaim` claim. */
export function sessionFromClaims(claims: Record<string, unknown>, userIdClaim: string): AuthenticatedSession {
  const userId = claims[userIdClaim];
  if (!isValidUserId(userId)) {
    throw new UnauthenticatedError(`The session's ${userIdClaim} claim is not a valid user id (1 to 128 letters, digits or _.@+=:-).`);
  }
  return { userId, claims };
}
