import type { Identity } from '../model/identity-store.ts';
import { AccessDeniedException, ResourceNotFoundException } from '../cognito-errors.ts';
import type { DeleteIdentitiesInput, DescribeIdentityInput, GetIdInput } from '../protocol/operation-inputs.ts';
import { epochSeconds } from '../protocol/render-response.ts';
import { requireAccessibleIdentity } from './identity-access.ts';
import { requireGuestAccess, verifyPresentedLogins } from './presented-logins.ts';
import type { CallerCheck, CognitoServiceDependencies } from './service-dependencies.ts';

/** A new guest identity, or the identity a presented OpenID token belongs to. */
export async function getId(dependencies: CognitoServiceDependencies, input: GetIdInput): Promise<{ IdentityId: string }> {
  if (input.AccountId !== undefined && input.AccountId !== dependencies.accountId) {
    throw new ResourceNotFoundException(`IdentityPool '${input.IdentityPoolId}' not found in account '${input.AccountId}'.`);
  }
  const pool = dependencies.identities.pool(input.IdentityPoolId);
  const claims = await verifyPresentedLogins(dependencies, pool, input.Logins);
  if (claims) {
    const identity = dependencies.identities.identityInPool(pool.identityPoolId, claims.sub);
    requireAccessibleIdentity(identity);
    return { IdentityId: identity.identityId };
  }
  requireGuestAccess(pool);
  const identity = await dependencies.identities.createIdentity(pool.identityPoolId);
  return { IdentityId: identity.identityId };
}

export async function describeIdentity(dependencies: CognitoServiceDependencies, input: DescribeIdentityInput, caller: CallerCheck) {
  const identity = dependencies.identities.findIdentity(input.IdentityId);
  // Authorize before answering "not found", so unauthorized callers learn nothing about which ids exist.
  await caller.authorize(identity?.identityPoolId);
  if (!identity) throw new ResourceNotFoundException(`Identity '${input.IdentityId}' not found.`);
  const pool = dependencies.identities.pool(identity.identityPoolId);
  return {
    IdentityId: identity.identityId,
    Logins: identity.developerUserIdentifiers.length > 0 ? [pool.developerProviderName] : [],
    CreationDate: epochSeconds(identity.creationDate),
    LastModifiedDate: epochSeconds(identity.lastModifiedDate),
  };
}

/**
 * Deletes identities pool by pool: ids in a pool the caller may not touch come back as
 * `AccessDenied` in `UnprocessedIdentityIds`, as on AWS. Unknown ids count as deleted.
 */
export async function deleteIdentities(dependencies: CognitoServiceDependencies, input: DeleteIdentitiesInput, caller: CallerCheck) {
  const idsByPool = new Map<string | undefined, string[]>();
  for (const identityId of new Set(input.IdentityIdsToDelete)) {
    const poolId = dependencies.identities.findIdentity(identityId)?.identityPoolId;
    idsByPool.set(poolId, [...(idsByPool.get(poolId) ?? []), identityId]);
  }
  const deletable: Identity[] = [];
  const unprocessed: { IdentityId: string; ErrorCode: 'AccessDenied' }[] = [];
  for (const [poolId, identityIds] of idsByPool) {
    try {
      await caller.authorize(poolId);
    } catch (error) {
      if (!(error instanceof AccessDeniedException)) throw error;
      unprocessed.push(...identityIds.map((IdentityId) => ({ IdentityId, ErrorCode: 'AccessDenied' as const })));
      continue;
    }
    for (const identityId of identityIds) {
      const identity = dependencies.identities.findIdentity(identityId);
      if (identity) deletable.push(identity);
    }
  }
  await dependencies.identities.deleteIdentities(deletable);
  return { UnprocessedIdentityIds: unprocessed };
}
