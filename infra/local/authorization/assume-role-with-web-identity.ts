import { evaluatePolicies, type TemplatePolicies } from '../../policy-engine/index.ts';
import { COGNITO_IDENTITY_PROVIDER } from '../cognito/model/identity-pool.ts';
import type { AssumeRoleWithWebIdentity } from '../cognito/service-hooks.ts';

/**
 * What STS checks when Cognito asks for credentials of a role: the role's trust policy must allow
 * `sts:AssumeRoleWithWebIdentity` for the Cognito principal with the token's `aud` and `amr`, and
 * `sts:TagSession` as well when the token carries principal tags.
 */
export function createWebIdentityRoleAssumer(policies: TemplatePolicies, roleIds: ReadonlyMap<string, string>): AssumeRoleWithWebIdentity {
  return async ({ roleArn, webIdentityClaims, principalTags }) => {
    const role = policies.rolesByArn.get(roleArn);
    if (!role) return { allowed: false, message: `Role ${roleArn} does not exist in the deployed stack.` };
    const context = {
      [`${COGNITO_IDENTITY_PROVIDER}:aud`]: String(webIdentityClaims.aud),
      [`${COGNITO_IDENTITY_PROVIDER}:sub`]: String(webIdentityClaims.sub),
      [`${COGNITO_IDENTITY_PROVIDER}:amr`]: (webIdentityClaims.amr ?? []).map(String),
      'aws:FederatedProvider': COGNITO_IDENTITY_PROVIDER,
    };
    const actions = ['sts:AssumeRoleWithWebIdentity', ...(Object.keys(principalTags).length > 0 ? ['sts:TagSession'] : [])];
    for (const action of actions) {
      const result = evaluatePolicies({ identityPolicies: [], resourcePolicies: [role.trustPolicy] }, { action, resource: roleArn, principal: { federated: COGNITO_IDENTITY_PROVIDER }, context });
      if (result.decision !== 'Allow') return { allowed: false, message: `Not authorized to perform ${action} on ${roleArn} (its trust policy does not allow this identity).` };
    }
    return { allowed: true, roleId: roleIds.get(roleArn) ?? role.name };
  };
}
