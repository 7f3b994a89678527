import { describe, expect, it } from 'vitest';
import { AccessRuleError, compileAccessRules, DEFAULT_ACCESS_RULES, prefixToPolicyForm, validateAccessRules, type AccessRule } from '../../../infra/access-rules/index.ts';
import { compilePolicy, evaluatePolicies } from '../../../infra/policy-engine/index.ts';
import { findUnknownAction } from '../../../infra/policy-engine/known-actions.ts';

const BUCKET_ARN = 'arn:aws:s3:::example-bucket';

describe('compileAccessRules with the default rules', () => {
  const compiled = compileAccessRules(DEFAULT_ACCESS_RULES, { bucketArn: BUCKET_ARN });

  it('gives the owner its own prefix, spelled with the exact Cognito policy variable and a slash after it', () => {
    const owner = compiled.authenticated.find((statement) => statement.Sid === 'Rule0OwnerObjects');
    expect(owner).toEqual({
      Sid: 'Rule0OwnerObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::example-bucket/users/${cognito-identity.amazonaws.com:sub}/*',
    });
  });

  it('grants ListBucket only under an s3:prefix condition naming the own prefix and what is below it', () => {
    const listStatements = compiled.authenticated.filter((statement) => statement.Action.includes('s3:ListBucket'));
    expect(listStatements.length).toBe(3);
    for (const statement of listStatements) {
      expect(statement.Resource).toBe(BUCKET_ARN);
      const prefixes = statement.Condition?.StringLike?.['s3:prefix'];
      expect(Array.isArray(prefixes) && prefixes.length === 2).toBe(true);
      const [exact, below] = prefixes as string[];
      expect(exact!.endsWith('/')).toBe(true);
      expect(below).toBe(`${exact}*`);
    }
    const ownerList = listStatements.find((statement) => statement.Sid === 'Rule0OwnerList');
    expect(ownerList?.Condition).toEqual({
      StringLike: { 's3:prefix': ['users/${cognito-identity.amazonaws.com:sub}/', 'users/${cognito-identity.amazonaws.com:sub}/*'] },
    });
  });

  it('keys the tenant prefix by the principal tag and refuses an empty tag value', () => {
    const tenant = compiled.authenticated.find((statement) => statement.Sid === 'Rule2TenantMembersObjects');
    expect(tenant?.Resource).toBe('arn:aws:s3:::example-bucket/tenants/${aws:PrincipalTag/tenant}/*');
    expect(tenant?.Condition?.StringLike).toEqual({ 'aws:PrincipalTag/tenant': '?*' });
    const tenantList = compiled.authenticated.find((statement) => statement.Sid === 'Rule2TenantMembersList');
    expect(tenantList?.Condition?.StringLike).toEqual({
      'aws:PrincipalTag/tenant': '?*',
      's3:prefix': ['tenants/${aws:PrincipalTag/tenant}/', 'tenants/${aws:PrincipalTag/tenant}/*'],
    });
  });

  it('refuses a tag value that is not one path segment ("/" anywhere, ".", "..") in every tenant statement', () => {
    const tenantStatements = compiled.authenticated.filter((statement) => statement.Sid.startsWith('Rule2TenantMembers'));
    expect(tenantStatements.map((statement) => statement.Sid)).toEqual(['Rule2TenantMembersObjects', 'Rule2TenantMembersList']);
    for (const statement of tenantStatements) {
      expect(statement.Condition?.StringNotLike).toEqual({ 'aws:PrincipalTag/tenant': ['*/*', '.', '..'] });
    }
  });

  it('puts the one-segment condition on each tag of a prefix with several, and on no statement without a tag', () => {
    const nested = compileAccessRules([{ prefix: 'orgs/{tag:org}/teams/{tag:team}/', grants: { tenantMembers: ['read', 'list'] } }], { bucketArn: BUCKET_ARN });
    for (const statement of nested.authenticated) {
      expect(statement.Condition?.StringNotLike).toEqual({ 'aws:PrincipalTag/org': ['*/*', '.', '..'], 'aws:PrincipalTag/team': ['*/*', '.', '..'] });
    }
    for (const statement of compiled.authenticated.filter((statement) => !statement.Sid.startsWith('Rule2'))) {
      expect(statement.Condition?.StringNotLike).toBeUndefined();
    }
  });

  it('makes the shared prefix read-only', () => {
    const shared = compiled.authenticated.find((statement) => statement.Sid === 'Rule1AuthenticatedObjects');
    expect(shared?.Action).toEqual(['s3:GetObject']);
    expect(shared?.Resource).toBe('arn:aws:s3:::example-bucket/shared/*');
  });

  it('never grants s3:* or a bare "*" resource, and gives guests nothing by default', () => {
    for (const statement of compiled.authenticated) {
      expect(statement.Action.some((action) => action.includes('*'))).toBe(false);
      expect(statement.Resource).not.toBe('*');
      expect(String(statement.Resource).startsWith(BUCKET_ARN)).toBe(true);
    }
    expect(compiled.guest).toEqual([]);
  });

  it('ends every object resource with "/*" right after a slash, so identity abc never matches abcd', () => {
    for (const statement of compiled.authenticated) {
      const resource = String(statement.Resource);
      if (resource === BUCKET_ARN) continue;
      expect(resource.endsWith('/*')).toBe(true);
      for (const variable of resource.match(/\$\{[^}]+\}/g) ?? []) {
        expect(resource.charAt(resource.indexOf(variable) + variable.length)).toBe('/');
      }
    }
  });
});

describe('the default tenant statements, evaluated by the policy engine', () => {
  const rolePolicy = compilePolicy({ Version: '2012-10-17', Statement: compileAccessRules(DEFAULT_ACCESS_RULES, { bucketArn: BUCKET_ARN }).authenticated }, { name: 'AuthenticatedRole', kind: 'identity' });
  const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
  const context = (tenant: string, extra: Record<string, string> = {}) => ({ 'cognito-identity.amazonaws.com:sub': 'us-east-1:a11ce000-0000-4000-8000-00000000000a', 'aws:PrincipalTag/tenant': tenant, ...extra });
  const objectDecision = (tenant: string, action: string, key: string) => evaluatePolicies({ identityPolicies: [rolePolicy] }, { action, resource: `${BUCKET_ARN}/${key}`, context: context(tenant) }).decision;
  const listDecision = (tenant: string, prefix: string) => evaluatePolicies({ identityPolicies: [rolePolicy] }, { action: 's3:ListBucket', resource: BUCKET_ARN, context: context(tenant, { 's3:prefix': prefix }) }).decision;

  it.each(['acme/eu', '/acme', 'acme/', '/', '.', '..'])('gives tenant %j nothing under its would-be prefix', (tenant) => {
    for (const action of OBJECT_ACTIONS) expect(objectDecision(tenant, action, `tenants/${tenant}/plan.txt`)).toBe('ImplicitDeny');
    expect(listDecision(tenant, `tenants/${tenant}/`)).toBe('ImplicitDeny');
    expect(listDecision(tenant, `tenants/${tenant}/plan`)).toBe('ImplicitDeny');
  });

  it('gives tenant "acme/eu" nothing under tenants/ at all, not even acme\'s files', () => {
    for (const key of ['tenants/acme/eu/plan.txt', 'tenants/acme/plan.txt', 'tenants/acme/eu/x/y.txt']) {
      for (const action of OBJECT_ACTIONS) expect(objectDecision('acme/eu', action, key)).toBe('ImplicitDeny');
    }
    for (const prefix of ['tenants/', 'tenants/acme/', 'tenants/acme/eu/']) expect(listDecision('acme/eu', prefix)).toBe('ImplicitDeny');
  });

  it('still gives an acme member its whole prefix, and a dotted name that is one segment its own', () => {
    for (const action of OBJECT_ACTIONS) {
      expect(objectDecision('acme', action, 'tenants/acme/plan.txt')).toBe('Allow');
      expect(objectDecision('acme', action, 'tenants/acme/eu/plan.txt')).toBe('Allow');
      expect(objectDecision('acme.eu', action, 'tenants/acme.eu/plan.txt')).toBe('Allow');
      expect(objectDecision('...', action, 'tenants/.../plan.txt')).toBe('Allow');
    }
    expect(listDecision('acme', 'tenants/acme/')).toBe('Allow');
    expect(listDecision('acme', 'tenants/acme/eu/')).toBe('Allow');
  });
});

describe('actions the compiler emits', () => {
  it('are all real actions (AWS would silently never match a misspelt one)', () => {
    const everything = compileAccessRules(
      [
        { prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'], guestOwner: ['read', 'write', 'delete', 'list'] } },
        { prefix: 'public/', grants: { authenticated: ['read', 'write', 'delete', 'list'], guests: ['read', 'write', 'delete', 'list'] } },
        { prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: ['read', 'write', 'delete', 'list'] } },
      ],
      { bucketArn: BUCKET_ARN },
    );
    const actions = [...everything.authenticated, ...everything.guest].flatMap((statement) => statement.Action);
    expect(new Set(actions)).toEqual(new Set(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:DeleteObject', 's3:ListBucket']));
    expect(actions.filter((action) => findUnknownAction(action) !== undefined)).toEqual([]);
  });
});

describe('compileAccessRules options', () => {
  it('gives readers Decrypt and writers GenerateDataKey on the configured KMS key, through S3 only', () => {
    const rules: AccessRule[] = [
      { prefix: 'users/{identityId}/', grants: { owner: ['write'] } },
      { prefix: 'public/', grants: { guests: ['read'] } },
    ];
    const compiled = compileAccessRules(rules, { bucketArn: BUCKET_ARN, kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k', region: 'eu-west-1' });
    expect(compiled.authenticated.at(-1)).toEqual({
      Sid: 'BucketKeyUseThroughS3',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
    expect(compiled.guest.at(-1)?.Action).toEqual(['kms:Decrypt']);
  });

  it('puts guest grants on the guest role', () => {
    const compiled = compileAccessRules([{ prefix: 'guests/{identityId}/', grants: { guestOwner: ['read', 'write'] } }], { bucketArn: BUCKET_ARN });
    expect(compiled.authenticated).toEqual([]);
    expect(compiled.guest[0]?.Resource).toBe('arn:aws:s3:::example-bucket/guests/${cognito-identity.amazonaws.com:sub}/*');
  });

  it('translates placeholders into policy variables', () => {
    expect(prefixToPolicyForm('orgs/{tag:org}/members/{identityId}/')).toBe('orgs/${aws:PrincipalTag/org}/members/${cognito-identity.amazonaws.com:sub}/');
  });
});

describe('validateAccessRules', () => {
  const rejected: Array<[string, AccessRule[], RegExp]> = [
    ['an empty rule set', [], /accessRules is empty/],
    ['a prefix without a trailing slash', [{ prefix: 'users/{identityId}', grants: { owner: ['read'] } }], /must end with "\/"/],
    ['a placeholder glued to text (abc vs abcd)', [{ prefix: 'users/{identityId}x/', grants: { owner: ['read'] } }], /unknown placeholder|whole path segment/],
    ['a tag placeholder glued to text', [{ prefix: 'tenants/t-{tag:tenant}/', grants: { tenantMembers: ['read'] } }], /whole path segment/],
    ['an IAM wildcard in a literal', [{ prefix: 'shared/*/', grants: { authenticated: ['read'] } }], /wildcard/],
    ['an IAM variable typed by hand', [{ prefix: 'users/${aws:userid}/', grants: { authenticated: ['read'] } }], /placeholder|wildcard/],
    ['a misspelt placeholder', [{ prefix: 'users/{identityID}/', grants: { owner: ['read'] } }], /unknown placeholder/],
    ['a leading slash', [{ prefix: '/shared/', grants: { authenticated: ['read'] } }], /must not start with "\/"/],
    ['an empty segment', [{ prefix: 'shared//x/', grants: { authenticated: ['read'] } }], /empty segment/],
    ['a dot-dot segment', [{ prefix: 'shared/../', grants: { authenticated: ['read'] } }], /"\.\."/],
    ['duplicate prefixes', [{ prefix: 'shared/', grants: { authenticated: ['read'] } }, { prefix: 'shared/', grants: { authenticated: ['list'] } }], /duplicate prefix/],
    ['no grants', [{ prefix: 'shared/', grants: {} }], /grants is empty/],
    ['an unknown permission', [{ prefix: 'shared/', grants: { authenticated: ['read', 'admin' as never] } }], /unknown permission "admin"/],
    ['an unknown grantee', [{ prefix: 'shared/', grants: { everyone: ['read'] } as never }], /unknown grantee "everyone"/],
    ['a repeated permission', [{ prefix: 'shared/', grants: { authenticated: ['read', 'read'] } }], /twice/],
    ['an owner grant on a prefix without {identityId}', [{ prefix: 'shared/', grants: { owner: ['read'] } }], /does not fit this prefix/],
    ['an authenticated grant on an identity prefix', [{ prefix: 'users/{identityId}/', grants: { authenticated: ['read'] } }], /belongs to its owner/],
    ['a tenant grant on a plain prefix', [{ prefix: 'shared/', grants: { tenantMembers: ['read'] } }], /does not fit/],
    ['two identity placeholders', [{ prefix: 'users/{identityId}/{identityId}/', grants: { owner: ['read'] } }], /only once/],
  ];
  it.each(rejected)('rejects %s with a clear message', (_name, rules, message) => {
    expect(() => validateAccessRules(rules)).toThrow(AccessRuleError);
    expect(() => validateAccessRules(rules)).toThrow(message);
  });

  it('names the rule index and prefix in the message', () => {
    expect(() => validateAccessRules([{ prefix: 'shared/', grants: { authenticated: ['read'] } }, { prefix: 'x', grants: { authenticated: ['read'] } }])).toThrow(
      'access rule 1 (prefix "x")',
    );
  });

  it('accepts the default rules', () => {
    expect(() => validateAccessRules(DEFAULT_ACCESS_RULES)).not.toThrow();
  });
});
