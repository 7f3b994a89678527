import { evaluatePolicies, explainDecision, RequestContext, type TemplatePolicies } from '../../policy-evaluation/index.ts';
import type { AuthorizeS3Request } from '../s3/authorization/authorize-callback.ts';
import { sessionPrincipal } from './session-principal.ts';

/**
 * The IAM decision for an S3 action, as AWS makes it: the caller's role policies together with
 * the bucket policy, with the request's condition keys. Credentials of a role the template does
 * not define are denied.
 */
export function createS3Authorizer(policies: TemplatePolicies): AuthorizeS3Request {
  return ({ caller, action, resource, context }) => {
    const role = policies.rolesByArn.get(caller.roleArn);
    if (!role) return { allowed: false, explanation: `the caller's role ${caller.roleArn} is not part of the deployed stack` };
    const bucketName = resource.slice('arn:aws:s3:::'.length).split('/')[0]!;
    const request = { action, resource, principal: sessionPrincipal(caller), context: new RequestContext(context) };
    const result = evaluatePolicies({ identityPolicies: role.policies, resourcePolicies: policies.bucketPolicies.get(bucketName) ?? [] }, request);
    if (result.decision === 'Allow') return { allowed: true };
    return { allowed: false, explanation: explainDecision(request, evaluatePolicies({ identityPolicies: role.policies, resourcePolicies: policies.bucketPolicies.get(bucketName) ?? [] }, { ...request, recordVariables: true })) };
  };
}
