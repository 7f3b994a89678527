import type { CredentialStore } from '../../credentials/credential-store.ts';
import type { IdentityStore } from '../model/identity-store.ts';
import type { AssumeRoleWithWebIdentity } from '../service-hooks.ts';
import type { SigningKey } from '../tokens/signing-key.ts';

interface TokenLifetimes {
  /** OpenID tokens from GetOpenIdTokenForDeveloperIdentity without TokenDuration. */
  developerTokenDefaultSeconds: number;
  /** Upper bound for every OpenID token; longer TokenDurations are cut to it. */
  tokenMaxSeconds: number;
  /** OpenID tokens from GetOpenIdToken. */
  openIdTokenSeconds: number;
  /** Credentials from GetCredentialsForIdentity. */
  credentialsSeconds: number;
}

/** What the operations work with. */
export interface CognitoServiceDependencies {
  identities: IdentityStore;
  signingKey: SigningKey;
  credentials: CredentialStore;
  assumeRoleWithWebIdentity: AssumeRoleWithWebIdentity;
  accountId: string;
  clock: () => Date;
  lifetimes: TokenLifetimes;
}

/** The IAM check of the developer APIs, bound to the request being served. */
export interface CallerCheck {
  /** Resolves when the caller may run this operation on the pool; otherwise throws the error to answer with. */
  authorize(identityPoolId: string | undefined): Promise<void>;
}
