import { evaluatePolicies, explainDecision, type TemplatePolicies } from '../../policy-engine/index.ts';
import type { AuthorizeS3Request } from '../s3/request-permissions/authorize-callback.ts';
import { sessionPrincipal } from './session-principal.ts';

/**
 * The IAM decision for an S3 action, as AWS makes it: the caller's role policies (and permissions
 * boundary) together with the bucket policy, with the request's condition keys. Credentials of a
 * role the template does not define are denied.
 */
export function createS3Authorizer(policies: TemplatePolicies): AuthorizeS3Request {
  return ({ caller, action, resource, context }) => {
    const role = policies.rolesByArn.get(caller.roleArn);
    if (!role) return { allowed: false, explanation: `the caller's role ${caller.roleArn} is not part of the deployed stack` };
    const bucketPolicy = policies.bucketPolicies.get(resource.slice('arn:aws:s3:::'.length).split('/')[0]!);
    const result = evaluatePolicies(
      { identityPolicies: role.policies, resourcePolicies: bucketPolicy ? [bucketPolicy] : [], permissionsBoundary: role.permissionsBoundary },
      { action, resource, principal: sessionPrincipal(caller), context },
    );
    return result.decision === 'Allow' ? { allowed: true } : { allowed: false, explanation: explainDecision(result) };
  };
}
