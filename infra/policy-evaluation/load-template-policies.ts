import { resolveIntrinsics, TemplateResolutionError, type IntrinsicContext } from '../cloudformation/resolve-intrinsics.ts';
import { compilePolicy } from './compile-policy.ts';
import type { CompiledPolicy } from './compiled-policy.ts';

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface TemplateRole {
  logicalId: string;
  name: string;
  arn: string;
  roleId: string;
  trustPolicy: CompiledPolicy;
  /** Inline policies plus `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` resources attached to the role. */
  policies: CompiledPolicy[];
}

export interface TemplatePolicies {
  rolesByArn: Map<string, TemplateRole>;
  rolesByLogicalId: Map<string, TemplateRole>;
  /** Bucket policies by bucket name. */
  bucketPolicies: Map<string, CompiledPolicy[]>;
  /** Role ARNs per identity pool id, from `AWS::Cognito::IdentityPoolRoleAttachment`. */
  identityPoolRoles: Map<string, { authenticated?: string; unauthenticated?: string }>;
}

/**
 * Reads every IAM policy of a synthesized template, resolved and compiled as the deployed stack
 * would have them. A policy that does not compile fails the load, naming the resource.
 */
export function loadTemplatePolicies(template: { Resources: Record<string, TemplateResource> }, context: IntrinsicContext): TemplatePolicies {
  const resolved = (logicalId: string, value: unknown) => resolveIntrinsics(value, context, logicalId);
  const result: TemplatePolicies = { rolesByArn: new Map(), rolesByLogicalId: new Map(), bucketPolicies: new Map(), identityPoolRoles: new Map() };
  const resources = Object.entries(template.Resources ?? {});

  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const physical = context.physicalResource(logicalId);
    if (!physical?.attributes.Arn || !physical.attributes.RoleId) throw new TemplateResolutionError(`${logicalId}: the role has no local ARN or RoleId`);
    const properties = resource.Properties ?? {};
    if (Array.isArray(properties.ManagedPolicyArns) && properties.ManagedPolicyArns.length > 0) {
      throw new TemplateResolutionError(`${logicalId}: managed policies (ManagedPolicyArns) cannot be enforced locally; give the role inline or template policies`);
    }
    const inline = ((resolved(logicalId, properties.Policies) as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? []).map((policy) =>
      compilePolicy(`${logicalId}/${policy.PolicyName}`, policy.PolicyDocument, 'identity'),
    );
    const role: TemplateRole = {
      logicalId,
      name: physical.ref,
      arn: physical.attributes.Arn,
      roleId: physical.attributes.RoleId,
      trustPolicy: compilePolicy(`${logicalId}/AssumeRolePolicyDocument`, resolved(logicalId, properties.AssumeRolePolicyDocument), 'trust'),
      policies: inline,
    };
    result.rolesByArn.set(role.arn, role);
    result.rolesByLogicalId.set(logicalId, role);
  }

  for (const [logicalId, resource] of resources) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        const roleNames = (resolved(logicalId, properties.Roles) as string[] | undefined) ?? [];
        const policyName = typeof properties.PolicyName === 'string' ? properties.PolicyName : logicalId;
        const policy = compilePolicy(policyName, resolved(logicalId, properties.PolicyDocument), 'identity');
        for (const roleName of roleNames) {
          const role = [...result.rolesByArn.values()].find((candidate) => candidate.name === roleName);
          if (!role) throw new TemplateResolutionError(`${logicalId}: attached to role "${roleName}", which the template does not define`);
          role.policies.push(policy);
        }
        break;
      }
      case 'AWS::S3::BucketPolicy': {
        const bucket = resolved(logicalId, properties.Bucket) as string;
        const policies = result.bucketPolicies.get(bucket) ?? [];
        policies.push(compilePolicy(logicalId, resolved(logicalId, properties.PolicyDocument), 'resource'));
        result.bucketPolicies.set(bucket, policies);
        break;
      }
      case 'AWS::Cognito::IdentityPoolRoleAttachment': {
        const poolId = resolved(logicalId, properties.IdentityPoolId) as string;
        const roles = (resolved(logicalId, properties.Roles) ?? {}) as { authenticated?: string; unauthenticated?: string };
        result.identityPoolRoles.set(poolId, { authenticated: roles.authenticated, unauthenticated: roles.unauthenticated });
        break;
      }
      default:
        break;
    }
  }
  return result;
}
