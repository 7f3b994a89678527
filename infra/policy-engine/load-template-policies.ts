import { resolveIntrinsics, templateIntrinsicContext, TemplateResolutionError, type IntrinsicContext, type PhysicalResource, type TemplateSections } from '../cloudformation/resolve-intrinsics.ts';
import { compilePolicy, type CompiledPolicy } from './compile-policy.ts';

interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

export interface CloudFormationTemplate extends TemplateSections {
  Resources: Record<string, CloudFormationResource>;
}

export interface TemplateRole {
  logicalId: string;
  name: string;
  arn: string;
  /** The AssumeRolePolicyDocument. */
  trustPolicy: CompiledPolicy;
  /** Inline policies, then `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources attached to the role. */
  policies: CompiledPolicy[];
  permissionsBoundary: CompiledPolicy | undefined;
  /** Managed policies the template does not define (AWS managed policies): they cannot be evaluated here. */
  externalManagedPolicyArns: string[];
}

export interface IdentityPoolRoles {
  authenticated?: string;
  unauthenticated?: string;
}

export interface TemplatePolicies {
  roles: TemplateRole[];
  rolesByArn: Map<string, TemplateRole>;
  /** Bucket name -> its bucket policy. */
  bucketPolicies: Map<string, CompiledPolicy>;
  /** Identity pool id -> the role ARNs its role attachment names. */
  identityPoolRoles: Map<string, IdentityPoolRoles>;
}

export interface LoadTemplatePoliciesOptions {
  region: string;
  accountId: string;
  stackName: string;
  partition?: string;
  urlSuffix?: string;
  /** Values for template parameters (else their defaults). */
  parameterValues?: Record<string, string>;
}

interface PolicyProperty {
  PolicyName?: string;
  PolicyDocument?: unknown;
}

/**
 * Reads the IAM side of a synthesized template: roles with their trust policy and every
 * policy attached to them, bucket policies and identity pool role attachments, all
 * compiled. `physicalIds` says what each resource is called once deployed. Unresolvable
 * references throw `TemplateResolutionError` naming the resource; bad policies throw
 * `PolicyValidationError` naming the policy (`Role/PolicyName` or the policy's logical id).
 */
export function loadTemplatePolicies(template: CloudFormationTemplate, physicalIds: (logicalId: string) => PhysicalResource | undefined, options: LoadTemplatePoliciesOptions): TemplatePolicies {
  const context = templateIntrinsicContext(template, physicalIds, options);
  const resources = Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Condition === undefined || conditionHolds(resource.Condition, context));
  const property = <T>(logicalId: string, resource: CloudFormationResource, name: string): T | undefined =>
    resolveIntrinsics(resource.Properties?.[name], context, `Resources.${logicalId}.Properties.${name}`) as T | undefined;

  const managedPolicies = new Map<string, { logicalId: string; policy: CompiledPolicy }>();
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    managedPolicies.set(physical(logicalId, physicalIds).ref, { logicalId, policy: compilePolicy(property(logicalId, resource, 'PolicyDocument'), { name: logicalId, kind: 'identity' }) });
  }

  const roles: TemplateRole[] = [];
  const rolesByName = new Map<string, TemplateRole>();
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const id = physical(logicalId, physicalIds);
    const path = property<string>(logicalId, resource, 'Path') ?? '/';
    const role: TemplateRole = {
      logicalId,
      name: id.ref,
      arn: id.attributes.Arn ?? `arn:${options.partition ?? 'aws'}:iam::${options.accountId}:role${path}${id.ref}`,
      trustPolicy: compilePolicy(property(logicalId, resource, 'AssumeRolePolicyDocument'), { name: `${logicalId}/AssumeRolePolicyDocument`, kind: 'trust' }),
      policies: (property<PolicyProperty[]>(logicalId, resource, 'Policies') ?? []).map((inline, index) =>
        compilePolicy(inline.PolicyDocument, { name: `${logicalId}/${inline.PolicyName ?? `Policies[${index}]`}`, kind: 'identity' }),
      ),
      permissionsBoundary: undefined,
      externalManagedPolicyArns: [],
    };
    for (const arn of property<string[]>(logicalId, resource, 'ManagedPolicyArns') ?? []) {
      const managed = managedPolicies.get(arn);
      if (managed) role.policies.push(managed.policy);
      else role.externalManagedPolicyArns.push(arn);
    }
    const boundaryArn = property<string>(logicalId, resource, 'PermissionsBoundary');
    if (boundaryArn !== undefined) {
      const boundary = managedPolicies.get(boundaryArn);
      if (!boundary) throw new TemplateResolutionError(`Resources.${logicalId}.Properties.PermissionsBoundary: "${boundaryArn}" is not a managed policy of this template, so the boundary cannot be enforced`);
      role.permissionsBoundary = boundary.policy;
    }
    roles.push(role);
    rolesByName.set(role.name, role);
  }

  const attach = (logicalId: string, resource: CloudFormationResource, policy: CompiledPolicy) => {
    for (const roleName of property<string[]>(logicalId, resource, 'Roles') ?? []) {
      const role = rolesByName.get(roleName);
      // Roles outside the template are not evaluated here.
      if (role && !role.policies.includes(policy)) role.policies.push(policy);
    }
  };
  const bucketPolicies = new Map<string, CompiledPolicy>();
  const identityPoolRoles = new Map<string, IdentityPoolRoles>();
  for (const [logicalId, resource] of resources) {
    if (resource.Type === 'AWS::IAM::Policy') {
      attach(logicalId, resource, compilePolicy(property(logicalId, resource, 'PolicyDocument'), { name: logicalId, kind: 'identity' }));
    } else if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      attach(logicalId, resource, managedPolicies.get(physical(logicalId, physicalIds).ref)!.policy);
    } else if (resource.Type === 'AWS::S3::BucketPolicy') {
      const bucket = property<string>(logicalId, resource, 'Bucket');
      if (typeof bucket !== 'string') throw new TemplateResolutionError(`Resources.${logicalId}.Properties.Bucket: expected the bucket name`);
      bucketPolicies.set(bucket, compilePolicy(property(logicalId, resource, 'PolicyDocument'), { name: logicalId, kind: 'resource' }));
    } else if (resource.Type === 'AWS::Cognito::IdentityPoolRoleAttachment') {
      const poolId = property<string>(logicalId, resource, 'IdentityPoolId');
      if (typeof poolId !== 'string') throw new TemplateResolutionError(`Resources.${logicalId}.Properties.IdentityPoolId: expected the identity pool id`);
      identityPoolRoles.set(poolId, property<IdentityPoolRoles>(logicalId, resource, 'Roles') ?? {});
    }
  }
  return { roles, rolesByArn: new Map(roles.map((role) => [role.arn, role])), bucketPolicies, identityPoolRoles };
}

function physical(logicalId: string, physicalIds: (logicalId: string) => PhysicalResource | undefined): PhysicalResource {
  const id = physicalIds(logicalId);
  if (!id) throw new TemplateResolutionError(`Resources.${logicalId}: no physical id for this resource`);
  return id;
}

function conditionHolds(name: string, context: IntrinsicContext): boolean {
  return resolveIntrinsics({ 'Fn::If': [name, true, false] }, context, `Conditions.${name}`) === true;
}
