/** One identity pool as the local cloud runs it (taken from the synthesized template). */
export interface IdentityPool {
  /** `region:uuid`, e.g. `us-east-1:0f8b...`. */
  identityPoolId: string;
  identityPoolName: string;
  /** The "domain" under which the app's backend names its users in `Logins`. */
  developerProviderName: string;
  allowUnauthenticatedIdentities: boolean;
  /** Whether the basic (classic) flow may use this pool's tokens with STS directly; kept for the STS endpoint. */
  allowClassicFlow: boolean;
  /** Role ARNs of the pool's role attachment. */
  roles: { authenticated?: string; unauthenticated?: string };
}

export const COGNITO_IDENTITY_PROVIDER = 'cognito-identity.amazonaws.com';

export function identityPoolArn(pool: IdentityPool, accountId: string): string {
  const region = pool.identityPoolId.split(':')[0];
  return `arn:aws:cognito-identity:${region}:${accountId}:identitypool/${pool.identityPoolId}`;
}
