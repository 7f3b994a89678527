import { describe, expect, it } from 'vitest';
import { evaluatePolicies, explainDecision, type EvaluationRequest, type PolicySet } from '../../../infra/policy-engine/index.ts';
import { decide, policy } from './helpers.ts';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app/AuthenticatedRole`;
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/AuthenticatedRole/session-1`;
const SESSION = { arn: SESSION_ARN, accountId: ACCOUNT };
const BUCKET = 'arn:aws:s3:::bucket';

const allowAll = { Effect: 'Allow', Action: 's3:*', Resource: '*' };
const request = (overrides: Partial<EvaluationRequest> = {}): EvaluationRequest => ({ action: 's3:GetObject', resource: `${BUCKET}/a.txt`, principal: SESSION, context: {}, ...overrides });
const bucketPolicy = (statements: object | object[]) => policy(statements, { name: 'BucketPolicy', kind: 'resource' });

describe('deny, allow and implicit deny', () => {
  it('denies implicitly when nothing allows', () => {
    const result = decide({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }, {});
    expect(result).toMatchObject({ decision: 'ImplicitDeny', reason: 'no-allow', deciding: [] });
  });

  it('an explicit deny wins over any allow, and is what decides', () => {
    const result = decide([allowAll, { Sid: 'NoGet', Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }], {});
    expect(result.decision).toBe('ExplicitDeny');
    expect(result.deciding).toEqual([{ policyName: 'TestPolicy', policyKind: 'identity', index: 1, sid: 'NoGet', effect: 'Deny' }]);
    expect(result.matchedStatements).toHaveLength(2);
  });

  it('a deny in the bucket policy wins over an identity allow', () => {
    const set: PolicySet = {
      identityPolicies: [policy(allowAll)],
      resourcePolicies: [bucketPolicy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `${BUCKET}/*`, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
    };
    expect(evaluatePolicies(set, request({ context: { 'aws:SecureTransport': 'false' } })).decision).toBe('ExplicitDeny');
    expect(evaluatePolicies(set, request({ context: { 'aws:SecureTransport': 'true' } })).decision).toBe('Allow');
  });

  it('identity and bucket policies are a union of allows', () => {
    const set: PolicySet = {
      identityPolicies: [policy({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' })],
      resourcePolicies: [bucketPolicy({ Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 's3:GetObject', Resource: `${BUCKET}/*` })],
    };
    expect(evaluatePolicies(set, request({ action: 's3:GetObject' })).decision).toBe('Allow');
    expect(evaluatePolicies(set, request({ action: 's3:PutObject' })).decision).toBe('Allow');
    expect(evaluatePolicies(set, request({ action: 's3:DeleteObject' })).decision).toBe('ImplicitDeny');
  });
});

describe('permissions boundary and session policies', () => {
  const boundary = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { name: 'Boundary', kind: 'boundary' });
  const session = policy({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${BUCKET}/a.txt` }, { name: 'Session', kind: 'session' });

  it('the boundary intersects identity allows', () => {
    const set: PolicySet = { identityPolicies: [policy(allowAll)], permissionsBoundary: boundary };
    expect(evaluatePolicies(set, request({ action: 's3:GetObject' })).decision).toBe('Allow');
    expect(evaluatePolicies(set, request({ action: 's3:PutObject' }))).toMatchObject({ decision: 'ImplicitDeny', reason: 'not-allowed-by-boundary' });
  });

  it('the boundary never grants on its own', () => {
    expect(evaluatePolicies({ identityPolicies: [], permissionsBoundary: boundary }, request()).decision).toBe('ImplicitDeny');
  });

  it('session policies intersect identity allows', () => {
    const set: PolicySet = { identityPolicies: [policy(allowAll)], sessionPolicies: [session] };
    expect(evaluatePolicies(set, request({ action: 's3:PutObject' })).decision).toBe('Allow');
    expect(evaluatePolicies(set, request({ action: 's3:PutObject', resource: `${BUCKET}/b.txt` }))).toMatchObject({ decision: 'ImplicitDeny', reason: 'not-allowed-by-session-policy' });
  });

  it('an allow needs the identity policy, the boundary and the session policy together', () => {
    const set: PolicySet = { identityPolicies: [policy(allowAll)], permissionsBoundary: boundary, sessionPolicies: [session] };
    const result = evaluatePolicies(set, request({ action: 's3:GetObject' }));
    expect(result.decision).toBe('Allow');
    expect(result.deciding.map((statement) => statement.policyKind)).toEqual(['identity', 'boundary', 'session']);
    expect(evaluatePolicies(set, request({ action: 's3:PutObject' })).decision).toBe('ImplicitDeny');
  });

  it('a deny in the boundary or session policy is an explicit deny', () => {
    const denyingBoundary = policy([{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }], { name: 'Boundary', kind: 'boundary' });
    expect(evaluatePolicies({ identityPolicies: [policy(allowAll)], permissionsBoundary: denyingBoundary }, request()).decision).toBe('ExplicitDeny');
  });

  it('a bucket policy naming the role is limited by the boundary and the session policy', () => {
    const set: PolicySet = {
      identityPolicies: [],
      resourcePolicies: [bucketPolicy({ Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 's3:PutObject', Resource: `${BUCKET}/*` })],
      permissionsBoundary: boundary,
    };
    expect(evaluatePolicies(set, request({ action: 's3:PutObject' })).decision).toBe('ImplicitDeny');
    expect(evaluatePolicies({ ...set, permissionsBoundary: undefined }, request({ action: 's3:PutObject' })).decision).toBe('Allow');
    expect(evaluatePolicies({ ...set, permissionsBoundary: undefined, sessionPolicies: [session] }, request({ action: 's3:PutObject', resource: `${BUCKET}/b.txt` })).decision).toBe('ImplicitDeny');
  });

  it('a bucket policy naming the session ARN itself is not limited by them', () => {
    const set: PolicySet = {
      identityPolicies: [],
      resourcePolicies: [bucketPolicy({ Effect: 'Allow', Principal: { AWS: SESSION_ARN }, Action: 's3:PutObject', Resource: `${BUCKET}/*` })],
      permissionsBoundary: boundary,
      sessionPolicies: [session],
    };
    const result = evaluatePolicies(set, request({ action: 's3:PutObject', resource: `${BUCKET}/b.txt` }));
    expect(result).toMatchObject({ decision: 'Allow', reason: 'allowed-naming-caller' });
    expect(result.deciding[0]!.principalMatch).toBe('exact');
  });
});

describe('principals in resource policies', () => {
  const allowFor = (principal: unknown) => bucketPolicy({ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: `${BUCKET}/*` });
  const decideFor = (principal: unknown, caller: EvaluationRequest['principal']) => evaluatePolicies({ identityPolicies: [], resourcePolicies: [allowFor(principal)] }, request({ principal: caller })).decision;

  it.each([
    ['"*"', '*', SESSION, 'Allow'],
    ['{"AWS": "*"}', { AWS: '*' }, SESSION, 'Allow'],
    ['the role ARN matches its sessions', { AWS: ROLE_ARN }, SESSION, 'Allow'],
    ['another role does not', { AWS: `arn:aws:iam::${ACCOUNT}:role/Other` }, SESSION, 'ImplicitDeny'],
    ['the same role name in another account does not', { AWS: `arn:aws:iam::210987654321:role/AuthenticatedRole` }, SESSION, 'ImplicitDeny'],
    ['the session ARN', { AWS: SESSION_ARN }, SESSION, 'Allow'],
    ['another session of the role', { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/AuthenticatedRole/session-2` }, SESSION, 'ImplicitDeny'],
    ['the account only delegates to identity policies', { AWS: ACCOUNT }, SESSION, 'ImplicitDeny'],
    ['the account root likewise', { AWS: `arn:aws:iam::${ACCOUNT}:root` }, SESSION, 'ImplicitDeny'],
    ['a federated provider', { Federated: 'cognito-identity.amazonaws.com' }, { federated: 'cognito-identity.amazonaws.com' }, 'Allow'],
    ['a service', { Service: 'lambda.amazonaws.com' }, { service: 'lambda.amazonaws.com' }, 'Allow'],
    ['a service is not another', { Service: 'lambda.amazonaws.com' }, { service: 'ec2.amazonaws.com' }, 'ImplicitDeny'],
    ['an anonymous caller with a named principal', { AWS: ROLE_ARN }, undefined, 'ImplicitDeny'],
  ])('%s', (_name, principal, caller, decision) => {
    expect(decideFor(principal, caller)).toBe(decision);
  });

  it('a deny naming the account applies to its sessions', () => {
    const set: PolicySet = { identityPolicies: [policy(allowAll)], resourcePolicies: [bucketPolicy({ Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 's3:GetObject', Resource: '*' })] };
    expect(evaluatePolicies(set, request()).decision).toBe('ExplicitDeny');
  });

  it('NotPrincipal exempts a session only when its account and its role or session are listed', () => {
    const denyAllBut = (listed: string[]) =>
      evaluatePolicies({ identityPolicies: [policy(allowAll)], resourcePolicies: [bucketPolicy({ Effect: 'Deny', NotPrincipal: { AWS: listed }, Action: 's3:*', Resource: '*' })] }, request()).decision;
    expect(denyAllBut([ROLE_ARN, `arn:aws:iam::${ACCOUNT}:root`])).toBe('Allow');
    expect(denyAllBut([SESSION_ARN, ACCOUNT])).toBe('Allow');
    expect(denyAllBut([ROLE_ARN])).toBe('ExplicitDeny');
    expect(denyAllBut([`arn:aws:iam::${ACCOUNT}:role/Other`, ACCOUNT])).toBe('ExplicitDeny');
  });

  it('NotPrincipal never exempts a principal with a permissions boundary, as AWS documents', () => {
    const set: PolicySet = {
      identityPolicies: [policy(allowAll)],
      resourcePolicies: [bucketPolicy({ Effect: 'Deny', NotPrincipal: { AWS: [ROLE_ARN, ACCOUNT] }, Action: 's3:*', Resource: '*' })],
      permissionsBoundary: policy(allowAll, { kind: 'boundary', name: 'Boundary' }),
    };
    expect(evaluatePolicies(set, request()).decision).toBe('ExplicitDeny');
  });
});

describe('NotAction and NotResource', () => {
  it('NotAction allows everything but the listed actions', () => {
    const statement = { Effect: 'Allow', NotAction: ['s3:Delete*', 'iam:*'], Resource: '*' };
    expect(decide(statement, { action: 's3:GetObject' }).decision).toBe('Allow');
    expect(decide(statement, { action: 'dynamodb:GetItem' }).decision).toBe('Allow');
    expect(decide(statement, { action: 's3:DeleteObject' }).decision).toBe('ImplicitDeny');
    expect(decide(statement, { action: 'iam:CreateUser' }).decision).toBe('ImplicitDeny');
  });

  it('Deny with NotAction denies every other action', () => {
    const statements = [allowAll, { Effect: 'Deny', NotAction: 's3:GetObject', Resource: '*' }];
    expect(decide(statements, { action: 's3:GetObject' }).decision).toBe('Allow');
    expect(decide(statements, { action: 's3:PutObject' }).decision).toBe('ExplicitDeny');
  });

  it('NotResource applies to every other resource', () => {
    const statements = [allowAll, { Effect: 'Deny', Action: 's3:*', NotResource: [`${BUCKET}/public/*`] }];
    expect(decide(statements, { resource: `${BUCKET}/public/a` }).decision).toBe('Allow');
    expect(decide(statements, { resource: `${BUCKET}/private/a` }).decision).toBe('ExplicitDeny');
  });
});

describe('case and wildcard rules', () => {
  it('action names are case-insensitive', () => {
    expect(decide({ Effect: 'Allow', Action: 'S3:getobject', Resource: '*' }, { action: 's3:GetObject' }).decision).toBe('Allow');
    expect(decide({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { action: 'S3:GETOBJECT' }).decision).toBe('Allow');
  });

  it('resources are case-sensitive', () => {
    expect(decide({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/Docs/*` }, { resource: `${BUCKET}/docs/a` }).decision).toBe('ImplicitDeny');
  });

  it.each([
    ['s3:Get*', 's3:GetObjectVersion', true],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:*Object', 's3:DeleteObject', true],
    ['s3:Get?bject', 's3:GetObject', true],
    ['s3:*', 'sqs:SendMessage', false],
    ['*', 'sqs:SendMessage', true],
  ])('action %s against %s -> %s', (pattern, action, allowed) => {
    expect(decide({ Effect: 'Allow', Action: pattern, Resource: '*' }, { action }).decision === 'Allow').toBe(allowed);
  });

  it.each([
    [`${BUCKET}/*`, `${BUCKET}/a/b/c.txt`, true],
    [`${BUCKET}/*`, BUCKET, false],
    [`${BUCKET}*`, `${BUCKET}-other/x`, true],
    [`${BUCKET}/a/*/c.txt`, `${BUCKET}/a/x/y/c.txt`, true],
    [`${BUCKET}/file?.txt`, `${BUCKET}/file1.txt`, true],
    [`${BUCKET}/file?.txt`, `${BUCKET}/file10.txt`, false],
    ['arn:aws:s3:::*', `${BUCKET}/x`, true],
    ['arn:aws:logs:*:*:log-group:app:*', 'arn:aws:logs:eu-west-1:123456789012:log-group:app:log-stream:s1', true],
    ['arn:aws:logs:eu-*:*:*', 'arn:aws:logs:us-east-1:123456789012:log-group:app', false],
    ['arn:aws:*:*:*:*', `${BUCKET}/x`, true],
  ])('resource %s against %s -> %s', (pattern, resource, allowed) => {
    expect(decide({ Effect: 'Allow', Action: 's3:GetObject', Resource: pattern }, { resource }).decision === 'Allow').toBe(allowed);
  });
});

describe('explanations', () => {
  it('name the decision, the deciding statements and the variables', () => {
    const result = decide([{ Sid: 'Own', Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/users/\${aws:userid}/*` }, { Sid: 'NoSecrets', Effect: 'Deny', Action: '*', Resource: `${BUCKET}/users/*/secret` }], {
      resource: `${BUCKET}/users/u1/secret`,
      context: { 'aws:userid': 'u1' },
    });
    const text = explainDecision(result);
    expect(text).toContain('ExplicitDeny: s3:GetObject on arn:aws:s3:::bucket/users/u1/secret');
    expect(text).toContain('explicitly denied by identity policy "TestPolicy" statement "NoSecrets"');
    expect(text).toContain('Allow identity policy "TestPolicy" statement "Own"');
    expect(text).toContain('${aws:userid} = "u1"');
  });

  it('say which limit stopped an identity allow', () => {
    const set: PolicySet = { identityPolicies: [policy(allowAll)], permissionsBoundary: policy({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }, { kind: 'boundary', name: 'Boundary' }) };
    expect(explainDecision(evaluatePolicies(set, request()))).toContain('the permissions boundary "Boundary" does not allow it');
  });
});

describe('statement index by service', () => {
  it('only statements that can apply to the service are candidates', () => {
    const compiled = policy([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
      { Effect: 'Deny', NotAction: 'iam:*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } },
    ]);
    expect(compiled.statementsByService.get('s3')!.map((statement) => statement.index)).toEqual([0, 2]);
    expect(compiled.statementsByService.get('sqs')!.map((statement) => statement.index)).toEqual([1, 2]);
    expect(compiled.anyServiceStatements.map((statement) => statement.index)).toEqual([2]);
  });
});
