import { evaluatePolicies, type EvaluationRequest, type TemplatePolicies } from '../../policy-engine/index.ts';
import { COGNITO_IDENTITY_PROVIDER } from '../cognito/model/identity-pool.ts';
import type { AssumeRoleWithWebIdentity, WebIdentityRoleRequest } from '../cognito/service-hooks.ts';
import { webIdentityContext } from '../cognito/session-context.ts';

/**
 * The requests STS checks against the role's trust policy: `sts:AssumeRoleWithWebIdentity` for
 * the Cognito principal with the token's `aud`, `sub` and `amr`, and `sts:TagSession` as well
 * when the token carries principal tags.
 */
export function trustPolicyRequests({ roleArn, webIdentityClaims, principalTags }: WebIdentityRoleRequest): EvaluationRequest[] {
  const actions = ['sts:AssumeRoleWithWebIdentity', ...(Object.keys(principalTags).length > 0 ? ['sts:TagSession'] : [])];
  const context = webIdentityContext(webIdentityClaims);
  return actions.map((action) => ({ action, resource: roleArn, principal: { federated: COGNITO_IDENTITY_PROVIDER }, context }));
}

/** What STS checks when Cognito asks for credentials of a role: each of `trustPolicyRequests` must be allowed. */
export function createWebIdentityRoleAssumer(policies: TemplatePolicies, roleIds: ReadonlyMap<string, string>): AssumeRoleWithWebIdentity {
  return async (request) => {
    const { roleArn } = request;
    const role = policies.rolesByArn.get(roleArn);
    if (!role) return { allowed: false, message: `Role ${roleArn} does not exist in the deployed stack.` };
    for (const trustRequest of trustPolicyRequests(request)) {
      const result = evaluatePolicies({ identityPolicies: [], resourcePolicies: [role.trustPolicy] }, trustRequest);
      if (result.decision !== 'Allow') return { allowed: false, message: `Not authorized to perform ${trustRequest.action} on ${roleArn} (its trust policy does not allow this identity).` };
    }
    return { allowed: true, roleId: roleIds.get(roleArn) ?? role.name };
  };
}
