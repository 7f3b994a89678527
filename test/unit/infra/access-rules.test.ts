import { describe, expect, it } from 'vitest';
import { accessRuleNames, AccessRuleError, compileAccessRules, DEFAULT_ACCESS_RULES, defaultAccessRules, prefixToPolicyForm, publishedLocations, validateAccessRules, type AccessRule } from '../../../infra/access-rules/index.ts';
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
    const listStatements = compiled.authenticated.filter((statement) => statement.Action.includes('s3:ListBucket') && statement.Sid !== 'Rule1AuthenticatedList');
    expect(listStatements.map((statement) => statement.Sid)).toEqual(['Rule0OwnerList', 'Rule1OwnerList', 'Rule2AuthenticatedList', 'Rule3TenantMembersList']);
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
    const tenant = compiled.authenticated.find((statement) => statement.Sid === 'Rule3TenantMembersObjects');
    expect(tenant?.Resource).toBe('arn:aws:s3:::example-bucket/tenants/${aws:PrincipalTag/tenant}/*');
    expect(tenant?.Condition?.StringLike).toEqual({ 'aws:PrincipalTag/tenant': '?*' });
    const tenantList = compiled.authenticated.find((statement) => statement.Sid === 'Rule3TenantMembersList');
    expect(tenantList?.Condition?.StringLike).toEqual({
      'aws:PrincipalTag/tenant': '?*',
      's3:prefix': ['tenants/${aws:PrincipalTag/tenant}/', 'tenants/${aws:PrincipalTag/tenant}/*'],
    });
  });

  it('refuses a tag value that is not one path segment ("/" anywhere, ".", "..") in every tenant statement', () => {
    const tenantStatements = compiled.authenticated.filter((statement) => statement.Sid.startsWith('Rule3TenantMembers'));
    expect(tenantStatements.map((statement) => statement.Sid)).toEqual(['Rule3TenantMembersObjects', 'Rule3TenantMembersList']);
    for (const statement of tenantStatements) {
      expect(statement.Condition?.StringNotLike).toEqual({ 'aws:PrincipalTag/tenant': ['*/*', '.', '..'] });
    }
  });

  it('puts the one-segment condition on each tag of a prefix with several, and on no statement without a tag', () => {
    const nested = compileAccessRules([{ prefix: 'orgs/{tag:org}/teams/{tag:team}/', grants: { tenantMembers: ['read', 'list'] } }], { bucketArn: BUCKET_ARN });
    for (const statement of nested.authenticated) {
      expect(statement.Condition?.StringNotLike).toEqual({ 'aws:PrincipalTag/org': ['*/*', '.', '..'], 'aws:PrincipalTag/team': ['*/*', '.', '..'] });
    }
    for (const statement of compiled.authenticated.filter((statement) => !statement.Sid.startsWith('Rule3'))) {
      expect(statement.Condition?.StringNotLike).toBeUndefined();
    }
  });

  it('makes the shared prefix read-only', () => {
    const shared = compiled.authenticated.find((statement) => statement.Sid === 'Rule2AuthenticatedObjects');
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
    ['a tenant grant on an identity prefix', [{ prefix: 'users/{identityId}/', grants: { tenantMembers: ['read'] } }], /belongs to its owner/],
    ['a tenant grant on a plain prefix', [{ prefix: 'shared/', grants: { tenantMembers: ['read'] } }], /does not fit/],
    ['two identity placeholders', [{ prefix: 'users/{identityId}/{identityId}/', grants: { owner: ['read'] } }], /only once/],
  ];
  it.each(rejected)('rejects %s with a clear message', (_name, rules, message) => {
    expect(() => validateAccessRules(rules)).toThrow(AccessRuleError);
    expect(() => validateAccessRules(rules)).toThrow(message);
  });

  it('names the rule index, name and prefix in the message', () => {
    expect(() => validateAccessRules([{ name: 'docs', prefix: 'docs/', grants: { authenticated: ['read'] } }, { name: 'bad', prefix: 'bad', grants: { authenticated: ['read'] } }])).toThrow(
      'access rule 1 "bad" (prefix "bad")',
    );
  });

  it('names the rule index and prefix in the message of a rule without a name', () => {
    expect(() => validateAccessRules([{ prefix: 'shared/', grants: { authenticated: ['read'] } }, { prefix: 'x', grants: { authenticated: ['read'] } }])).toThrow(
      'access rule 1 (prefix "x")',
    );
  });

  it('accepts the default rules', () => {
    expect(() => validateAccessRules(DEFAULT_ACCESS_RULES)).not.toThrow();
  });
});

describe('location names', () => {
  it('derives the name from the first literal segment, lower-cased, and keeps explicit names', () => {
    expect(
      accessRuleNames([
        { prefix: 'Docs/{identityId}/', grants: { owner: ['read'] } },
        { prefix: '{tag:tenant}/plans/', grants: { tenantMembers: ['read'] } },
        { name: 'handbooks', prefix: 'shared/', grants: { authenticated: ['read'] } },
      ]),
    ).toEqual(['docs', 'plans', 'handbooks']);
  });

  it('names the defaults private, protected, shared, team (and public with guests)', () => {
    expect(accessRuleNames(DEFAULT_ACCESS_RULES)).toEqual(['private', 'protected', 'shared', 'team']);
    expect(accessRuleNames(defaultAccessRules({ allowGuests: true }))).toEqual(['private', 'protected', 'shared', 'team', 'public']);
  });

  const rejected: Array<[string, AccessRule[], string]> = [
    ['a name with an upper-case letter', [{ name: 'Shared', prefix: 'shared/', grants: { authenticated: ['read'] } }], 'access rule 0 "Shared" (prefix "shared/"): name "Shared" is invalid: use 1 to 32 lower-case letters, digits or "-", starting with a letter'],
    ['a name starting with a digit', [{ name: '2024', prefix: 'shared/', grants: { authenticated: ['read'] } }], 'name "2024" is invalid'],
    ['a name with a colon (the CLI separator)', [{ name: 'a:b', prefix: 'shared/', grants: { authenticated: ['read'] } }], 'name "a:b" is invalid'],
    ['an empty name', [{ name: '', prefix: 'shared/', grants: { authenticated: ['read'] } }], 'name "" is invalid'],
    ['a 33-character name', [{ name: 'a'.repeat(33), prefix: 'shared/', grants: { authenticated: ['read'] } }], 'is invalid'],
    ['a prefix with no literal segment', [{ prefix: '{identityId}/', grants: { owner: ['read'] } }], 'access rule 0 (prefix "{identityId}/"): cannot derive a location name (the prefix has no literal segment); give the rule a name'],
    ['a literal that is no name', [{ prefix: 'my_files/{identityId}/', grants: { owner: ['read'] } }], 'cannot derive a location name (its first literal segment "my_files" is not a valid name); give the rule a name'],
    [
      'two rules with the same derived name',
      [
        { prefix: 'shared/', grants: { authenticated: ['read'] } },
        { prefix: 'shared/{tag:tenant}/', grants: { tenantMembers: ['read'] } },
      ],
      'access rule 1 (prefix "shared/{tag:tenant}/"): location name "shared" is already used by access rule 0 (prefix "shared/"); give one of them another name, e.g. name: "shared-2"',
    ],
    [
      'an explicit name clashing with a derived one',
      [
        { prefix: 'shared/', grants: { authenticated: ['read'] } },
        { name: 'shared', prefix: 'docs/', grants: { authenticated: ['read'] } },
      ],
      'location name "shared" is already used by access rule 0',
    ],
  ];
  it.each(rejected)('refuses %s, asking for an explicit name', (_name, rules, message) => {
    expect(() => validateAccessRules(rules)).toThrow(AccessRuleError);
    expect(() => validateAccessRules(rules)).toThrow(message);
  });

  it('publishes name, prefix and grants in rule order', () => {
    expect(publishedLocations(defaultAccessRules({ allowGuests: true }))).toEqual([
      { name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'], guestOwner: ['read', 'write', 'delete', 'list'] } },
      { name: 'protected', prefix: 'protected/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'], authenticated: ['read', 'list'] } },
      { name: 'shared', prefix: 'shared/', grants: { authenticated: ['read', 'list'] } },
      { name: 'team', prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: ['read', 'write', 'delete', 'list'] } },
      { name: 'public', prefix: 'public/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'], authenticated: ['read', 'list'], guests: ['read', 'list'] } },
    ]);
  });

  it('keeps DEFAULT_ACCESS_RULES the set without guests', () => {
    expect(DEFAULT_ACCESS_RULES).toEqual(defaultAccessRules({ allowGuests: false }));
    expect(DEFAULT_ACCESS_RULES.some((rule) => rule.grants.guests || rule.grants.guestOwner)).toBe(false);
  });
});

describe('the protected kind', () => {
  const compiled = compileAccessRules(defaultAccessRules({ allowGuests: true }), { bucketArn: BUCKET_ARN });
  const find = (role: 'authenticated' | 'guest', sid: string) => compiled[role].find((statement) => statement.Sid === sid);

  it('compiles others\' read to every identity folder and their list to a whole identity segment', () => {
    expect(find('authenticated', 'Rule1AuthenticatedObjects')).toEqual({ Sid: 'Rule1AuthenticatedObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: `${BUCKET_ARN}/protected/*/*` });
    expect(find('authenticated', 'Rule1AuthenticatedList')).toEqual({
      Sid: 'Rule1AuthenticatedList',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: BUCKET_ARN,
      Condition: { StringLike: { 's3:prefix': ['protected/?*/*'] } },
    });
    expect(find('guest', 'Rule4GuestsObjects')?.Resource).toBe(`${BUCKET_ARN}/public/*/*`);
    expect(find('guest', 'Rule4GuestsList')?.Condition).toEqual({ StringLike: { 's3:prefix': ['public/?*/*'] } });
  });

  it('compiles the owner grant as before', () => {
    expect(find('authenticated', 'Rule1OwnerObjects')?.Resource).toBe(`${BUCKET_ARN}/protected/\${cognito-identity.amazonaws.com:sub}/*`);
    expect(find('authenticated', 'Rule1OwnerList')?.Condition).toEqual({ StringLike: { 's3:prefix': ['protected/${cognito-identity.amazonaws.com:sub}/', 'protected/${cognito-identity.amazonaws.com:sub}/*'] } });
  });

  it('gives guests their own private folder and nothing in the protected folders', () => {
    expect(find('guest', 'Rule0GuestOwnerObjects')?.Resource).toBe(`${BUCKET_ARN}/users/\${cognito-identity.amazonaws.com:sub}/*`);
    expect(compiled.guest.filter((statement) => String(statement.Resource).includes('protected/') || JSON.stringify(statement.Condition ?? {}).includes('protected/'))).toEqual([]);
  });

  describe('evaluated by the policy engine: no listing can enumerate identity ids', () => {
    const policies = {
      authenticated: compilePolicy({ Version: '2012-10-17', Statement: compiled.authenticated }, { name: 'AuthenticatedRole', kind: 'identity' }),
      guest: compilePolicy({ Version: '2012-10-17', Statement: compiled.guest }, { name: 'GuestRole', kind: 'identity' }),
    };
    const ALICE = 'us-east-1:a11ce000-0000-4000-8000-00000000000a';
    const BOB = 'us-east-1:b0b00000-0000-4000-8000-00000000000b';
    const decide = (role: 'authenticated' | 'guest', action: string, resource: string, extra: Record<string, string> = {}) =>
      evaluatePolicies({ identityPolicies: [policies[role]] }, { action, resource, context: { 'cognito-identity.amazonaws.com:sub': ALICE, ...extra } }).decision;
    const list = (role: 'authenticated' | 'guest', prefix: string | undefined) => decide(role, 's3:ListBucket', BUCKET_ARN, prefix === undefined ? {} : { 's3:prefix': prefix });

    it.each([
      ['the protected root', 'protected/'],
      ['the root without its slash', 'protected'],
      ['a partial identity id', 'protected/us-'],
      ['a partial id with the region', 'protected/us-east-1:'],
      ['another identity without the trailing slash', `protected/${BOB}`],
      ['a star (a literal to S3, but never a pattern here)', 'protected/*'],
      ['a question mark', 'protected/?'],
      ['an empty prefix', ''],
      ['the bucket root', '/'],
      ['an empty identity segment', 'protected//'],
      ['the neighbouring prefix', 'protectedx/'],
      ['the public root', 'public/'],
    ])('denies listing %s (%j)', (_name, prefix) => {
      expect(list('authenticated', prefix)).toBe('ImplicitDeny');
      expect(list('guest', prefix)).toBe('ImplicitDeny');
    });

    it('denies a listing without any prefix', () => {
      expect(list('authenticated', undefined)).toBe('ImplicitDeny');
      expect(list('guest', undefined)).toBe('ImplicitDeny');
    });

    it('allows listing inside a folder the caller names, for signed-in identities, and public ones for guests', () => {
      for (const prefix of [`protected/${BOB}/`, `protected/${BOB}/photos/`, `protected/${BOB}/ph`, `protected/${ALICE}/`]) expect(list('authenticated', prefix)).toBe('Allow');
      expect(list('guest', `public/${BOB}/`)).toBe('Allow');
      expect(list('guest', `protected/${BOB}/`)).toBe('ImplicitDeny');
    });

    it('lets others read but never write or delete, and the owner do everything in its own folder', () => {
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']) {
        expect(decide('authenticated', action, `${BUCKET_ARN}/protected/${BOB}/a.txt`)).toBe('ImplicitDeny');
        expect(decide('authenticated', action, `${BUCKET_ARN}/protected/${ALICE}/a.txt`)).toBe('Allow');
        expect(decide('guest', action, `${BUCKET_ARN}/public/${BOB}/a.txt`)).toBe('ImplicitDeny');
      }
      expect(decide('authenticated', 's3:GetObject', `${BUCKET_ARN}/protected/${BOB}/a.txt`)).toBe('Allow');
      expect(decide('guest', 's3:GetObject', `${BUCKET_ARN}/public/${BOB}/a.txt`)).toBe('Allow');
      expect(decide('guest', 's3:GetObject', `${BUCKET_ARN}/protected/${BOB}/a.txt`)).toBe('ImplicitDeny');
    });

    it('keeps the owner\'s prefix exact: identity abc never writes in abcd', () => {
      expect(decide('authenticated', 's3:PutObject', `${BUCKET_ARN}/protected/${ALICE}0/a.txt`)).toBe('ImplicitDeny');
      expect(decide('authenticated', 's3:PutObject', `${BUCKET_ARN}/protected/${ALICE.slice(0, -1)}/a.txt`)).toBe('ImplicitDeny');
    });
  });

  it('keeps the tenant-tag conditions on a protected prefix that also has a tag', () => {
    const tagged = compileAccessRules([{ name: 'people', prefix: 'orgs/{tag:org}/people/{identityId}/', grants: { owner: ['read', 'write'], authenticated: ['read', 'list'] } }], { bucketArn: BUCKET_ARN });
    const objects = tagged.authenticated.find((statement) => statement.Sid === 'Rule0AuthenticatedObjects')!;
    expect(objects.Resource).toBe(`${BUCKET_ARN}/orgs/\${aws:PrincipalTag/org}/people/*/*`);
    expect(objects.Condition).toEqual({ StringLike: { 'aws:PrincipalTag/org': '?*' }, StringNotLike: { 'aws:PrincipalTag/org': ['*/*', '.', '..'] } });
    const listing = tagged.authenticated.find((statement) => statement.Sid === 'Rule0AuthenticatedList')!;
    expect(listing.Condition).toEqual({
      StringLike: { 'aws:PrincipalTag/org': '?*', 's3:prefix': ['orgs/${aws:PrincipalTag/org}/people/?*/*'] },
      StringNotLike: { 'aws:PrincipalTag/org': ['*/*', '.', '..'] },
    });
  });

  const rejected: Array<[string, AccessRule[], string]> = [
    [
      'write for signed-in identities',
      [{ name: 'protected', prefix: 'protected/{identityId}/', grants: { owner: ['read'], authenticated: ['read', 'write'] } }],
      'access rule 0 "protected" (prefix "protected/{identityId}/"): "authenticated" may only read and list a prefix with {identityId} (a protected folder), not write: that would let anyone change another identity\'s files',
    ],
    ['delete for guests', [{ prefix: 'public/{identityId}/', grants: { owner: ['read'], guests: ['list', 'delete'] } }], '"guests" may only read and list a prefix with {identityId} (a protected folder), not delete'],
    ['a folder below the identity segment', [{ prefix: 'protected/{identityId}/photos/', grants: { owner: ['read'], authenticated: ['read'] } }], 'a protected prefix (read or list for "authenticated") must end with {identityId}/'],
    ['guests on a tagged prefix', [{ name: 'people', prefix: 'orgs/{tag:org}/{identityId}/', grants: { owner: ['read'], guests: ['read'] } }], '"guests" cannot be granted a prefix with {tag:...}'],
    [
      'another rule inside the protected folders',
      [
        { prefix: 'protected/{identityId}/', grants: { owner: ['read'], authenticated: ['read'] } },
        { name: 'team', prefix: 'protected/team/', grants: { authenticated: ['read'] } },
      ],
      'access rule 1 "team" (prefix "protected/team/") overlaps the protected folders of access rule 0 (prefix "protected/{identityId}/")',
    ],
    [
      'a rule covering the protected folders (its listing would enumerate identities)',
      [
        { name: 'everything', prefix: 'protected/', grants: { authenticated: ['list'] } },
        { name: 'mine', prefix: 'protected/{identityId}/', grants: { owner: ['read'], authenticated: ['read'] } },
      ],
      'access rule 0 "everything" (prefix "protected/") overlaps the protected folders',
    ],
    [
      'a tenant placeholder that could be named like the protected root',
      [
        { name: 'tenant', prefix: '{tag:tenant}/', grants: { tenantMembers: ['read', 'write'] } },
        { name: 'protected', prefix: 'protected/{identityId}/', grants: { owner: ['read'], authenticated: ['read'] } },
      ],
      'overlaps the protected folders',
    ],
  ];
  it.each(rejected)('refuses %s with a clear message', (_name, rules, message) => {
    expect(() => validateAccessRules(rules)).toThrow(AccessRuleError);
    expect(() => validateAccessRules(rules)).toThrow(message);
  });

  it('accepts an owner-only identity prefix beside a protected one', () => {
    expect(() => validateAccessRules(defaultAccessRules({ allowGuests: true }))).not.toThrow();
  });
});
