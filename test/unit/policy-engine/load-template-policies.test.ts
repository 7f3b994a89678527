import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TemplateResolutionError, type PhysicalResource } from '../../../infra/cloudformation/resolve-intrinsics.ts';
import { evaluatePolicies, loadTemplatePolicies, PolicyValidationError, type CloudFormationTemplate, type EvaluationRequest } from '../../../infra/policy-engine/index.ts';

const TEMPLATE = JSON.parse(readFileSync(new URL('./fixtures/cdk-storage-template.json', import.meta.url), 'utf8')) as CloudFormationTemplate;
const ACCOUNT = '123456789012';
const POOL_ID = 'eu-west-1:0c9e8a34-1d6d-4f4f-9c1a-1234567890ab';
const BUCKET = 'app-storage-bucket';
const AUTH_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/AppStack-AuthenticatedRole-ABC`;
const GUEST_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/AppStack-GuestRole-DEF`;

const PHYSICAL: Record<string, PhysicalResource> = {
  StorageBucket19DB2FF8: { ref: BUCKET, attributes: { Arn: `arn:aws:s3:::${BUCKET}` } },
  StorageBucketPolicyC1E0C4B5: { ref: 'AppStack-StorageBucketPolicy', attributes: {} },
  IdentityPool: { ref: POOL_ID, attributes: { Name: 'AppIdentityPool' } },
  AuthenticatedRole86104F1A: { ref: 'AppStack-AuthenticatedRole-ABC', attributes: { Arn: AUTH_ROLE_ARN } },
  AuthenticatedRoleDefaultPolicy9C5BDB3D: { ref: 'AppSt-Auth-XYZ', attributes: {} },
  SharedReadPolicy4A1C2B3D: { ref: `arn:aws:iam::${ACCOUNT}:policy/SharedRead`, attributes: {} },
  GuestRoleA1B2C3D4: { ref: 'AppStack-GuestRole-DEF', attributes: { Arn: GUEST_ROLE_ARN } },
  IdentityPoolRoleAttachment: { ref: 'attachment', attributes: {} },
};
const physicalIds = (logicalId: string) => PHYSICAL[logicalId];
const OPTIONS = { region: 'eu-west-1', accountId: ACCOUNT, stackName: 'AppStack' };

describe('loadTemplatePolicies on a CDK-shaped template', () => {
  const loaded = loadTemplatePolicies(TEMPLATE, physicalIds, OPTIONS);
  const authenticated = loaded.rolesByArn.get(AUTH_ROLE_ARN)!;

  it('finds the roles the template creates (conditions applied) with names and ARNs', () => {
    expect(loaded.roles.map((role) => [role.logicalId, role.name, role.arn])).toEqual([['AuthenticatedRole86104F1A', 'AppStack-AuthenticatedRole-ABC', AUTH_ROLE_ARN]]);
  });

  it('attaches inline policies, AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources naming the role', () => {
    expect(authenticated.policies.map((policy) => policy.name)).toEqual(['AuthenticatedRole86104F1A/ListOwnPrefix', 'AuthenticatedRoleDefaultPolicy9C5BDB3D', 'SharedReadPolicy4A1C2B3D']);
  });

  it('keys bucket policies by bucket name and reads the identity pool role attachment', () => {
    expect([...loaded.bucketPolicies.keys()]).toEqual([BUCKET]);
    expect(loaded.identityPoolRoles.get(POOL_ID)).toEqual({ authenticated: AUTH_ROLE_ARN });
  });

  const s3 = (action: string, key: string, context: EvaluationRequest['context'] = {}) =>
    evaluatePolicies(
      { identityPolicies: authenticated.policies, resourcePolicies: [loaded.bucketPolicies.get(BUCKET)!] },
      {
        action,
        resource: key === '' ? `arn:aws:s3:::${BUCKET}` : `arn:aws:s3:::${BUCKET}/${key}`,
        principal: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AppStack-AuthenticatedRole-ABC/CognitoIdentityCredentials`, accountId: ACCOUNT },
        context: { 'cognito-identity.amazonaws.com:sub': 'eu-west-1:abc', 'aws:PrincipalTag/tenant': 'acme', 'aws:SecureTransport': 'true', ...context },
      },
    ).decision;

  it.each([
    ['s3:PutObject', 'users/eu-west-1:abc/photo.jpg', {}, 'Allow'],
    ['s3:PutObject', 'users/eu-west-1:abcd/photo.jpg', {}, 'ImplicitDeny'],
    ['s3:GetObject', 'tenants/acme/report.pdf', {}, 'Allow'],
    ['s3:GetObject', 'tenants/other/report.pdf', {}, 'ImplicitDeny'],
    ['s3:GetObject', 'shared/terms.txt', {}, 'Allow'],
    ['s3:PutObject', 'shared/terms.txt', {}, 'ImplicitDeny'],
    ['s3:ListBucket', '', { 's3:prefix': 'users/eu-west-1:abc/' }, 'Allow'],
    ['s3:ListBucket', '', { 's3:prefix': 'users/' }, 'ImplicitDeny'],
    ['s3:GetObject', 'users/eu-west-1:abc/photo.jpg', { 'aws:SecureTransport': 'false' }, 'ExplicitDeny'],
  ])('the role with the bucket policy: %s %s %j -> %s', (action, key, context, decision) => {
    expect(s3(action, key, context)).toBe(decision);
  });

  it('the trust policy admits authenticated identities of this pool only', () => {
    const assume = (aud: string, amr: string[]) =>
      evaluatePolicies(
        { identityPolicies: [], resourcePolicies: [authenticated.trustPolicy] },
        { action: 'sts:AssumeRoleWithWebIdentity', resource: AUTH_ROLE_ARN, principal: { federated: 'cognito-identity.amazonaws.com' }, context: { 'cognito-identity.amazonaws.com:aud': aud, 'cognito-identity.amazonaws.com:amr': amr } },
      ).decision;
    expect(assume(POOL_ID, ['authenticated', 'login.example.app'])).toBe('Allow');
    expect(assume(POOL_ID, ['unauthenticated'])).toBe('ImplicitDeny');
    expect(assume('eu-west-1:other-pool', ['authenticated'])).toBe('ImplicitDeny');
  });

  it('with the guest condition true, loads the guest role, its managed policies and the unauthenticated attachment', () => {
    const withGuests = loadTemplatePolicies(TEMPLATE, physicalIds, { ...OPTIONS, parameterValues: { AllowGuests: 'true' } });
    const guest = withGuests.rolesByArn.get(GUEST_ROLE_ARN)!;
    expect(guest.policies.map((policy) => policy.name)).toEqual(['SharedReadPolicy4A1C2B3D']);
    expect(guest.externalManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    expect(withGuests.identityPoolRoles.get(POOL_ID)).toEqual({ authenticated: AUTH_ROLE_ARN, unauthenticated: GUEST_ROLE_ARN });
  });

  it('names the resource and the missing logical id when a reference cannot be resolved', () => {
    const broken = structuredClone(TEMPLATE);
    broken.Resources.AuthenticatedRoleDefaultPolicy9C5BDB3D!.Properties!.Roles = [{ Ref: 'MissingRole' }];
    expect(() => loadTemplatePolicies(broken, physicalIds, OPTIONS)).toThrow(TemplateResolutionError);
    expect(() => loadTemplatePolicies(broken, physicalIds, OPTIONS)).toThrow('Resources.AuthenticatedRoleDefaultPolicy9C5BDB3D.Properties.Roles[0].Ref: Ref to unknown resource or parameter "MissingRole"');
  });

  it('names the policy when a policy document is malformed', () => {
    const broken = structuredClone(TEMPLATE);
    const document = broken.Resources.AuthenticatedRoleDefaultPolicy9C5BDB3D!.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    document.Statement[0]!.Condition = { StringEqual: { 'aws:userid': 'x' } };
    expect(() => loadTemplatePolicies(broken, physicalIds, OPTIONS)).toThrow(PolicyValidationError);
    expect(() => loadTemplatePolicies(broken, physicalIds, OPTIONS)).toThrow('Policy "AuthenticatedRoleDefaultPolicy9C5BDB3D", statement 0 (Sid "OwnObjects"): unknown condition operator "StringEqual"');
  });
});
