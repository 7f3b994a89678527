import { beforeAll, describe, expect, it } from 'vitest';
import {
  compilePolicy,
  evaluatePolicies,
  explainDecision,
  PolicyValidationError,
  type CompiledPolicy,
  type ContextRecord,
  type Decision,
  type EvaluationRequest,
  type PolicyKind,
  type PolicySet,
} from '../../../infra/policy-engine/index.ts';
import { ADMIN_ACCOUNT_ID, loadStackPolicies, type StackPolicies } from '../../../infra/policy-tools/stack-policies.ts';
import { parsePolicyCaseFile, PolicyCaseFormatError, readPolicyCaseFiles, type ExpectedDecision, type PolicyCase, type PolicyCaseFile, type PolicyDocuments, type StackRole } from './policy-case-file.ts';

const CASES_DIRECTORY = new URL('./cases/', import.meta.url).pathname;
const DECISION_NAMES: Record<Decision, ExpectedDecision> = { Allow: 'allow', ExplicitDeny: 'explicit-deny', ImplicitDeny: 'implicit-deny' };

// Read at collection time: a malformed file fails the run at once, naming the file and the case.
const caseFiles = readPolicyCaseFiles(CASES_DIRECTORY);

/** A file's own documents, compiled; a document the engine rejects is reported with the file's name. */
function compileDocuments(file: PolicyCaseFile, documents: PolicyDocuments): PolicySet {
  const compile = (document: unknown, kind: PolicyKind, name: string): CompiledPolicy => {
    try {
      return compilePolicy(document, { name, kind });
    } catch (error) {
      if (error instanceof PolicyValidationError) throw new PolicyCaseFormatError(`${file.file}: "policies.${name}" is not a valid policy: ${error.message}`);
      throw error;
    }
  };
  return {
    identityPolicies: documents.identity.map((document, index) => compile(document, 'identity', `identity[${index}]`)),
    resourcePolicies: documents.resource.map((document, index) => compile(document, 'resource', `resource[${index}]`)),
    sessionPolicies: documents.session.map((document, index) => compile(document, 'session', `session[${index}]`)),
    ...(documents.boundary !== undefined && { permissionsBoundary: compile(documents.boundary, 'boundary', 'boundary') }),
  };
}

/**
 * A request to the default stack as the local cloud evaluates it: the role's session (the
 * authenticated or the guest role) over TLS 1.3, with the Cognito keys its credentials carry; the
 * case adds the identity (`cognito-identity.amazonaws.com:sub`), tags and S3 keys, and may
 * override any of these.
 */
function stackRequest(stack: StackPolicies, role: NonNullable<StackPolicies['authenticatedRole']>, isGuest: boolean, request: PolicyCase): EvaluationRequest {
  const withBucket = (value: string) => value.replaceAll('{bucket}', stack.bucket);
  const context: ContextRecord = {
    'cognito-identity.amazonaws.com:aud': stack.identityPoolId,
    'cognito-identity.amazonaws.com:amr': [isGuest ? 'unauthenticated' : 'authenticated'],
    'aws:SecureTransport': 'true',
    's3:TlsVersion': '1.3',
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': `${stack.roleIds.get(role.arn)}:CognitoIdentityCredentials`,
  };
  for (const [key, value] of Object.entries(request.context)) {
    if (value !== undefined) context[key] = typeof value === 'string' ? withBucket(value) : value.map(withBucket);
  }
  return {
    action: request.action,
    resource: withBucket(request.resource),
    context,
    principal: request.principal ?? { arn: `arn:aws:sts::${ADMIN_ACCOUNT_ID}:assumed-role/${role.name}/CognitoIdentityCredentials`, roleArn: role.arn, accountId: ADMIN_ACCOUNT_ID },
  };
}

const stacks = new Map<boolean, StackPolicies>();
beforeAll(async () => {
  const needed = new Set(caseFiles.flatMap((file) => ('stack' in file.policies ? [file.policies.stack !== 'authenticated'] : [])));
  for (const allowGuests of needed) stacks.set(allowGuests, await loadStackPolicies(undefined, { allowGuests }));
});

/** The synthesized stack and role a "stack" file names. */
function stackRole(name: StackRole): { stack: StackPolicies; role: NonNullable<StackPolicies['authenticatedRole']>; isGuest: boolean } {
  const stack = stacks.get(name !== 'authenticated')!;
  const isGuest = name === 'guest';
  return { stack, role: (isGuest ? stack.guestRole : stack.authenticatedRole)!, isGuest };
}

describe('policy evaluation cases (test/unit/policy-engine/cases/*.json)', () => {
  it('finds case files', () => {
    expect(caseFiles.length).toBeGreaterThan(0);
    expect(caseFiles.flatMap((file) => file.requests).length).toBeGreaterThanOrEqual(40);
  });

  for (const file of caseFiles) {
    describe(`${file.file}: ${file.description}`, () => {
      const policies = 'stack' in file.policies ? undefined : compileDocuments(file, file.policies);
      for (const request of file.requests) {
        it(request.title, () => {
          let set: PolicySet;
          let evaluated: EvaluationRequest;
          if (policies) {
            set = policies;
            evaluated = { action: request.action, resource: request.resource, context: request.context, principal: request.principal };
          } else {
            const { stack, role, isGuest } = stackRole((file.policies as { stack: StackRole }).stack);
            set = { identityPolicies: role.policies, resourcePolicies: stack.bucketPolicies, ...(role.permissionsBoundary && { permissionsBoundary: role.permissionsBoundary }) };
            evaluated = stackRequest(stack, role, isGuest, request);
          }
          const result = evaluatePolicies(set, evaluated);
          const actual: { decision: ExpectedDecision; decidedBy?: string[] } = { decision: DECISION_NAMES[result.decision] };
          const expected: { decision: ExpectedDecision; decidedBy?: string[] } = { decision: request.expect };
          if (request.decidedBy) {
            actual.decidedBy = [...new Set(result.deciding.map((statement) => statement.sid ?? `#${statement.index}`))].sort();
            expected.decidedBy = [...new Set(request.decidedBy)].sort();
          }
          expect(actual, `${file.file}, "${request.title}":\n${explainDecision(result)}`).toEqual(expected);
        });
      }
    });
  }
});

describe('the case file format', () => {
  const valid = {
    description: 'one allow',
    policies: { identity: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } },
    requests: [{ name: 'reads', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', expect: 'allow' }],
  };
  const withRequest = (request: object) => ({ ...valid, requests: [valid.requests[0], request] });
  const error = (parsed: unknown) => {
    try {
      parsePolicyCaseFile('hand-written.json', parsed);
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(PolicyCaseFormatError);
      return (thrown as Error).message;
    }
    throw new Error('expected a PolicyCaseFormatError');
  };

  it('reads a valid file, filling defaults under each request\'s own context and principal', () => {
    const parsed = parsePolicyCaseFile('ok.json', {
      ...valid,
      defaults: { context: { 'aws:SecureTransport': 'true', 's3:prefix': 'a/', 'aws:PrincipalTag/tenant': 'acme' }, principal: { arn: 'arn:aws:iam::123456789012:user/default' } },
      requests: [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'b/', 'aws:PrincipalTag/tenant': null }, expect: 'implicit-deny' }],
    });
    expect(parsed.requests).toEqual([
      {
        title: 'implicit-deny: s3:ListBucket arn:aws:s3:::b',
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::b',
        context: { 'aws:SecureTransport': 'true', 's3:prefix': 'b/' },
        principal: { arn: 'arn:aws:iam::123456789012:user/default' },
        expect: 'implicit-deny',
        decidedBy: undefined,
      },
    ]);
  });

  it('names the file and the case (index and name) of a wrong expectation or a misspelt member', () => {
    expect(error(withRequest({ name: 'denies', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', expect: 'deny' }))).toBe(
      'hand-written.json: requests[1] ("denies") "expect": must be one of "allow", "explicit-deny", "implicit-deny" (got "deny")',
    );
    expect(error(withRequest({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', expected: 'allow' }))).toBe(
      'hand-written.json: requests[1]: unknown member "expected" (allowed: name, action, resource, context, principal, expect, decidedBy)',
    );
  });

  it('refuses missing or malformed members with what was expected', () => {
    expect(error({ ...valid, requests: [] })).toBe('hand-written.json: "requests": must be a non-empty list of requests');
    expect(error({ ...valid, policies: {} })).toBe('hand-written.json: "policies": needs "identity" (one policy document or a list of them; [] for none)');
    expect(error({ ...valid, stack: 'authenticated' })).toBe('hand-written.json: give either "policies" (the policy documents) or "stack": "authenticated", not both or neither');
    expect(error(withRequest({ action: 's3:Get*', resource: 'arn:aws:s3:::b/k', expect: 'allow' }))).toBe(
      'hand-written.json: requests[1] "action": must be one action such as "s3:GetObject" (got "s3:Get*")',
    );
    expect(error(withRequest({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: { 'aws:SecureTransport': true }, expect: 'allow' }))).toContain(
      'hand-written.json: requests[1] "context": "aws:SecureTransport" must be a string or a list of strings',
    );
    expect(error(withRequest({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', expect: 'implicit-deny', decidedBy: 'Sid1' }))).toBe(
      'hand-written.json: requests[1] "decidedBy": an implicit deny has no deciding statement: leave "decidedBy" out',
    );
    expect(error({ ...valid, description: undefined })).toBe('hand-written.json: "description": must be a non-empty string (got nothing)');
    expect(error({ ...valid, defaults: { context: { 's3:prefix': null } } })).toContain('hand-written.json: "defaults.context": "s3:prefix" must be a string or a list of strings');
  });

  it('names the file and the policy when the engine rejects a policy document', () => {
    const file = parsePolicyCaseFile('hand-written.json', {
      ...valid,
      policies: { identity: [], boundary: { Version: '2012-10-17', Statement: [{ Sid: 'Typo', Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEqual: { 'aws:userid': 'x' } } }] } },
    });
    expect(() => compileDocuments(file, file.policies as PolicyDocuments)).toThrow(
      'hand-written.json: "policies.boundary" is not a valid policy: Policy "boundary", statement 0 (Sid "Typo"): unknown condition operator "StringEqual"',
    );
  });
});
