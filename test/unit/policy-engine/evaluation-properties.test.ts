import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluatePolicies, type EvaluationRequest, type PolicySet } from '../../../infra/policy-engine/index.ts';

const ACTION_PATTERNS = ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:Get*', 's3:*', '*', 'sqs:SendMessage'];
const RESOURCE_PATTERNS = ['*', 'arn:aws:s3:::b', 'arn:aws:s3:::b/*', 'arn:aws:s3:::b/users/${aws:userid}/*', 'arn:aws:s3:::b/shared/?.txt', 'arn:aws:s3:::other/*'];
const CONDITIONS = [
  { Bool: { 'aws:SecureTransport': 'false' } },
  { StringLike: { 's3:prefix': ['users/${aws:userid}/*'] } },
  { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'AES256' } },
  { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
  { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
];

const list = <T>(values: T[]) => fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 3 });
const statementArbitrary = (effect: fc.Arbitrary<'Allow' | 'Deny'>) =>
  fc.record({
    effect,
    negateAction: fc.boolean(),
    actions: list(ACTION_PATTERNS),
    negateResource: fc.boolean(),
    resources: list(RESOURCE_PATTERNS),
    condition: fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined }),
  }).map(({ effect: Effect, negateAction, actions, negateResource, resources, condition }) => ({
    Effect,
    [negateAction ? 'NotAction' : 'Action']: actions,
    [negateResource ? 'NotResource' : 'Resource']: resources,
    ...(condition ? { Condition: condition } : {}),
  }));

const statementsArbitrary = fc.array(statementArbitrary(fc.constantFrom('Allow', 'Deny')), { minLength: 1, maxLength: 6 });

const requestArbitrary: fc.Arbitrary<EvaluationRequest> = fc.record({
  action: fc.constantFrom('s3:GetObject', 's3:PutObject', 's3:ListBucket', 'sqs:SendMessage'),
  resource: fc.constantFrom('arn:aws:s3:::b', 'arn:aws:s3:::b/users/u1/a', 'arn:aws:s3:::b/users/u2/a', 'arn:aws:s3:::b/shared/1.txt', 'arn:aws:s3:::other/x'),
  context: fc.record(
    {
      'aws:userid': fc.constantFrom('u1', 'u2'),
      'aws:SecureTransport': fc.constantFrom('true', 'false'),
      's3:prefix': fc.constantFrom('users/u1/x', 'users/u2/'),
      's3:x-amz-server-side-encryption': fc.constantFrom('AES256', 'aws:kms'),
      'aws:TagKeys': fc.subarray(['env', 'team']),
      'aws:SourceIp': fc.constantFrom('10.1.2.3', '192.0.2.1'),
    },
    { requiredKeys: [] },
  ),
});

const compile = (statements: object[], name = 'Identity') => compilePolicy({ Version: '2012-10-17', Statement: statements }, { name, kind: 'identity' });
const decision = (set: PolicySet, request: EvaluationRequest) => evaluatePolicies(set, request).decision;

describe('evaluation properties', () => {
  it('adding a Deny statement never turns a decision into Allow, and keeps explicit denies', () => {
    fc.assert(
      fc.property(statementsArbitrary, statementArbitrary(fc.constant('Deny')), requestArbitrary, (statements, deny, request) => {
        const before = decision({ identityPolicies: [compile(statements)] }, request);
        const after = decision({ identityPolicies: [compile([...statements, deny])] }, request);
        if (before !== 'Allow') expect(after).not.toBe('Allow');
        if (before === 'ExplicitDeny') expect(after).toBe('ExplicitDeny');
      }),
      { numRuns: 500 },
    );
  });

  it('adding a Deny policy (as a second identity policy or a boundary) never turns a decision into Allow', () => {
    fc.assert(
      fc.property(statementsArbitrary, fc.array(statementArbitrary(fc.constant('Deny')), { minLength: 1, maxLength: 3 }), requestArbitrary, (statements, denies, request) => {
        const identity = compile(statements);
        const before = decision({ identityPolicies: [identity] }, request);
        if (before === 'Allow') return;
        expect(decision({ identityPolicies: [identity, compile(denies, 'Denies')] }, request)).not.toBe('Allow');
      }),
      { numRuns: 300 },
    );
  });

  it('statement order never changes the decision', () => {
    fc.assert(
      fc.property(
        statementsArbitrary.chain((statements) => fc.tuple(fc.constant(statements), fc.shuffledSubarray(statements, { minLength: statements.length, maxLength: statements.length }))),
        requestArbitrary,
        ([statements, shuffled], request) => {
          const original = evaluatePolicies({ identityPolicies: [compile(statements)] }, request);
          const reordered = evaluatePolicies({ identityPolicies: [compile(shuffled)] }, request);
          expect(reordered.decision).toBe(original.decision);
          expect(reordered.matchedStatements).toHaveLength(original.matchedStatements.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a boundary or session policy only ever narrows an Allow', () => {
    fc.assert(
      fc.property(statementsArbitrary, statementsArbitrary, requestArbitrary, fc.boolean(), (statements, limit, request, asBoundary) => {
        const identity = compile(statements);
        const limiting = compilePolicy({ Version: '2012-10-17', Statement: limit }, { name: 'Limit', kind: asBoundary ? 'boundary' : 'session' });
        const limited = asBoundary ? { identityPolicies: [identity], permissionsBoundary: limiting } : { identityPolicies: [identity], sessionPolicies: [limiting] };
        if (decision(limited, request) === 'Allow') {
          expect(decision({ identityPolicies: [identity] }, request)).toBe('Allow');
          expect(decision({ identityPolicies: [compile(limit, 'LimitAsIdentity')] }, request)).toBe('Allow');
        }
      }),
      { numRuns: 300 },
    );
  });
});
