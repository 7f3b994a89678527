import type { Identity } from '../model/identity-store.ts';
import { NotAuthorizedException } from '../cognito-errors.ts';

/**
 * AWS: once every login of a Cognito identity is unlinked, "the Cognito identity becomes
 * inaccessible": nothing hands it a token or credentials any more (an authenticated identity never
 * falls back to guest access). A guest identity that never had a login is not affected.
 * Credentials issued before the unlink are not revoked (STS cannot); they live until they expire.
 */
export function requireAccessibleIdentity(identity: Identity): void {
  if (identity.authenticated && identity.developerUserIdentifiers.length === 0) {
    throw new NotAuthorizedException(`Access to Identity '${identity.identityId}' is forbidden.`);
  }
}
