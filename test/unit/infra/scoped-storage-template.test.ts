import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { ScopedStorage, ScopedStoragePropsError, type ScopedStorageProps } from '../../../infra/construct/index.ts';
import { buildStack } from '../../../infra/stack/build-stack.ts';
import { MAX_OUTPUT_VALUE_CHARACTERS } from '../../../infra/stack/scoped-storage-stack.ts';
import { DEFAULT_ACCESS_RULES, defaultAccessRules, publishedLocations } from '../../../infra/access-rules/index.ts';

function synthesize(props: Partial<ScopedStorageProps> = {}, build?: (stack: Stack) => Partial<ScopedStorageProps>): Template {
  const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ScopedStorage(stack, 'Storage', { allowedOrigins: ['https://app.example.com'], ...props, ...build?.(stack) });
  return Template.fromStack(stack);
}

function roleWithAmr(template: Template, amr: string): Record<string, unknown> {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Condition: Match.objectLike({ 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': amr } }) })]) } },
  });
  const found = Object.values(roles);
  expect(found.length).toBe(1);
  return found[0] as Record<string, unknown>;
}

describe('ScopedStorage defaults', () => {
  const template = synthesize();

  it('creates a private bucket: public access blocked, owner-enforced, SSE-S3, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: Match.absent(),
        LoggingConfiguration: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('aborts incomplete multipart uploads after 7 days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' })] },
    });
  });

  it('limits CORS to the app origin, with the headers the browser client sends and ETag exposed', () => {
    const bucket = Object.values(template.findResources('AWS::S3::Bucket'))[0] as { Properties: { CorsConfiguration: { CorsRules: Array<Record<string, string[] | number>> } } };
    const [rule] = bucket.Properties.CorsConfiguration.CorsRules;
    expect(rule!.AllowedOrigins).toEqual(['https://app.example.com']);
    expect(rule!.AllowedMethods).toEqual(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
    expect(rule!.AllowedHeaders).toEqual(expect.arrayContaining(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'content-type', 'x-amz-checksum-*', 'x-amz-server-side-encryption']));
    expect(rule!.AllowedHeaders).not.toContain('*');
    expect(rule!.ExposedHeaders).toContain('ETag');
    expect(rule!.MaxAge).toBe(3000);
  });

  it('denies plain HTTP, old TLS and foreign encryption in the bucket policy', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0] as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } };
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        expect.objectContaining({
          Sid: 'DenyOtherEncryption',
          Effect: 'Deny',
          Action: 's3:PutObject',
          Condition: { Null: { 's3:x-amz-server-side-encryption': 'false' }, StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' } },
        }),
      ]),
    );
    expect(statements.every((statement) => statement.Effect === 'Deny')).toBe(true);
  });

  it('creates a developer-authenticated identity pool with the classic flow and guests off', () => {
    template.hasResourceProperties('AWS::Cognito::IdentityPool', {
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
      DeveloperProviderName: 'login.scoped-storage',
    });
  });

  it('trusts only this pool and authenticated identities, with session tags for the tenant rule', () => {
    const role = roleWithAmr(template, 'authenticated') as { Properties: { AssumeRolePolicyDocument: { Statement: unknown[] }; MaxSessionDuration: number } };
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: expect.stringMatching(/^StorageIdentityPool/) } },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    ]);
    expect(role.Properties.MaxSessionDuration).toBe(3600);
  });

  it('attaches the authenticated role to the pool and creates no guest role', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
      IdentityPoolId: { Ref: Match.stringLikeRegexp('IdentityPool') },
      Roles: { authenticated: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuthenticatedRole'), 'Arn'] }, unauthenticated: Match.absent() },
    });
  });

  it('puts the compiled access statements, with the policy variable spelled exactly, in the role policy', () => {
    const role = roleWithAmr(template, 'authenticated') as { Properties: { Policies: Array<{ PolicyName: string; PolicyDocument: { Statement: Array<Record<string, unknown>> } }> } };
    const [policy] = role.Properties.Policies;
    expect(policy!.PolicyName).toBe('ScopedStorageAccess');
    const owner = policy!.PolicyDocument.Statement.find((statement) => statement.Sid === 'Rule0OwnerObjects');
    expect(owner?.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/), 'Arn'] }, '/users/${cognito-identity.amazonaws.com:sub}/*']] });
    expect(JSON.stringify(owner?.Resource)).toContain('/users/${cognito-identity.amazonaws.com:sub}/*');
    expect(JSON.stringify(policy)).not.toMatch(/"s3:\*"|"Resource":"\*"/);
  });
});

describe('ScopedStorage options', () => {
  it('enables guests with their own role trusted for unauthenticated identities only', () => {
    const template = synthesize({
      allowGuests: true,
      accessRules: [
        { prefix: 'users/{identityId}/', grants: { owner: ['read', 'write'], guestOwner: ['read', 'write'] } },
        { prefix: 'public/', grants: { guests: ['read'], authenticated: ['read'] } },
      ],
    });
    template.hasResourceProperties('AWS::Cognito::IdentityPool', { AllowUnauthenticatedIdentities: true });
    const guest = roleWithAmr(template, 'unauthenticated') as { Properties: { AssumeRolePolicyDocument: { Statement: Array<{ Action: unknown }> } } };
    expect(guest.Properties.AssumeRolePolicyDocument.Statement[0]!.Action).toBe('sts:AssumeRoleWithWebIdentity');
    template.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
      Roles: { authenticated: Match.anyValue(), unauthenticated: { 'Fn::GetAtt': [Match.stringLikeRegexp('GuestRole'), 'Arn'] } },
    });
  });

  it('leaves sts:TagSession out when no rule uses principal tags', () => {
    const template = synthesize({ accessRules: [{ prefix: 'users/{identityId}/', grants: { owner: ['read'] } }] });
    const role = roleWithAmr(template, 'authenticated') as { Properties: { AssumeRolePolicyDocument: { Statement: Array<{ Action: unknown }> } } };
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]!.Action).toBe('sts:AssumeRoleWithWebIdentity');
  });

  it('uses a KMS key when given: bucket default encryption, the key statement on the role, and a deny for other keys', () => {
    const template = synthesize({}, (stack) => ({ encryptionKey: new Key(stack, 'Key', { enableKeyRotation: true }) }));
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }] },
    });
    const role = roleWithAmr(template, 'authenticated') as { Properties: { Policies: Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }> } };
    const keyStatement = role.Properties.Policies[0]!.PolicyDocument.Statement.find((statement) => statement.Sid === 'BucketKeyUseThroughS3');
    expect(keyStatement?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(keyStatement?.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DenyOtherKmsKey', Effect: 'Deny' })]) },
    });
  });

  it('turns on versioning, access logs, a shorter abort window, another removal policy and provider name', () => {
    const template = synthesize(
      { versioned: true, abortIncompleteMultipartUploadAfterDays: 2, removalPolicy: RemovalPolicy.DESTROY, developerProviderName: 'login.acme.photos', corsMaxAgeSeconds: 60 },
      (stack) => ({ serverAccessLogsBucket: new Bucket(stack, 'Logs') }),
    );
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'scoped-storage/' }),
        LifecycleConfiguration: { Rules: [Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } })] },
      }),
      DeletionPolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::Cognito::IdentityPool', { DeveloperProviderName: 'login.acme.photos' });
  });
});

describe('ScopedStorage prop validation', () => {
  const invalid: Array<[string, Partial<ScopedStorageProps>, RegExp]> = [
    ['no origins', { allowedOrigins: [] }, /allowedOrigins is required/],
    ['a bad origin URL', { allowedOrigins: ['not a url'] }, /is not a URL/],
    ['an origin with a path', { allowedOrigins: ['https://app.example.com/app'] }, /not a bare origin.*did you mean "https:\/\/app.example.com"/],
    ['an origin with a trailing slash', { allowedOrigins: ['https://app.example.com/'] }, /not a bare origin/],
    ['a wildcard origin', { allowedOrigins: ['*'] }, /wildcard/],
    ['plain http to a remote host', { allowedOrigins: ['http://app.example.com'] }, /only localhost may/],
    ['a duplicate origin', { allowedOrigins: ['https://a.example.com', 'https://a.example.com'] }, /listed twice/],
    ['an empty provider name', { developerProviderName: '' }, /developerProviderName "" is invalid/],
    ['a provider name with spaces', { developerProviderName: 'my provider' }, /developerProviderName "my provider" is invalid/],
    ['a rule whose prefix does not end in "/"', { accessRules: [{ prefix: 'users/{identityId}', grants: { owner: ['read'] } }] }, /accessRules: .*must end with "\/"/],
    ['duplicate rules', { accessRules: [{ prefix: 'a/', grants: { authenticated: ['read'] } }, { prefix: 'a/', grants: { authenticated: ['read'] } }] }, /duplicate prefix/],
    ['guest grants with guests off', { accessRules: [{ prefix: 'public/', grants: { guests: ['read'] } }] }, /allowGuests is false/],
    ['a zero-day abort window', { abortIncompleteMultipartUploadAfterDays: 0 }, /abortIncompleteMultipartUploadAfterDays/],
    ['a fractional CORS max age', { corsMaxAgeSeconds: 1.5 }, /corsMaxAgeSeconds/],
    ['a bad pool name', { identityPoolName: 'pool/with/slashes' }, /identityPoolName/],
  ];
  it.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthesize(props)).toThrow(ScopedStoragePropsError);
    expect(() => synthesize(props)).toThrow(message);
  });
});

describe('ScopedStorageStack', () => {
  it('outputs the keys the client reads', () => {
    const { stack } = buildStack({ nagChecks: false, allowedOrigins: ['https://app.example.com'] });
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(['bucket', 'developerProviderName', 'encryptionHeaderRequired', 'guestsAllowed', 'identityPoolId', 'locations', 'region', 'tokenServiceUrl']);
    expect(outputs.region!.Value).toEqual({ Ref: 'AWS::Region' });
    expect(outputs.bucket!.Value).toEqual({ Ref: expect.stringMatching(/^StorageBucket/) });
  });
});

describe('the locations and guestsAllowed outputs', () => {
  const outputsOf = (options: Parameters<typeof buildStack>[0]) => Template.fromStack(buildStack({ nagChecks: false, allowedOrigins: ['https://app.example.com'], ...options }).stack).findOutputs('*');

  it('publish the default rules as JSON text, in rule order, and guests off', () => {
    const outputs = outputsOf({});
    expect(JSON.parse(outputs.locations!.Value as string)).toEqual(publishedLocations(DEFAULT_ACCESS_RULES));
    expect((JSON.parse(outputs.locations!.Value as string) as Array<{ name: string }>).map((location) => location.name)).toEqual(['private', 'protected', 'shared', 'team']);
    expect(outputs.guestsAllowed!.Value).toBe('false');
  });

  it('publish the guest defaults (guest private folder, public location) when guests are allowed', () => {
    const outputs = outputsOf({ allowGuests: true });
    expect(JSON.parse(outputs.locations!.Value as string)).toEqual(publishedLocations(defaultAccessRules({ allowGuests: true })));
    expect(outputs.guestsAllowed!.Value).toBe('true');
  });

  it('publish an admin\'s own rules with derived names', () => {
    const outputs = outputsOf({ accessRules: [{ prefix: 'Docs/{identityId}/', grants: { owner: ['read', 'write'] } }, { name: 'handbook', prefix: 'shared/', grants: { authenticated: ['read'] } }] });
    expect(JSON.parse(outputs.locations!.Value as string)).toEqual([
      { name: 'docs', prefix: 'Docs/{identityId}/', grants: { owner: ['read', 'write'] } },
      { name: 'handbook', prefix: 'shared/', grants: { authenticated: ['read'] } },
    ]);
  });

  it('fail synthesis with a clear error when the JSON would pass CloudFormation\'s output value limit', () => {
    const rules = Array.from({ length: 40 }, (_, index) => ({ name: `rule-${index}`, prefix: `folder-number-${index}/with/a/long/path/${'x'.repeat(40)}/`, grants: { authenticated: ['read', 'list'] as ('read' | 'list')[] } }));
    expect(JSON.stringify(publishedLocations(rules)).length).toBeGreaterThan(MAX_OUTPUT_VALUE_CHARACTERS);
    expect(() => outputsOf({ accessRules: rules })).toThrow(ScopedStoragePropsError);
    expect(() => outputsOf({ accessRules: rules })).toThrow(/accessRules: the locations output would be \d+ characters of JSON, over CloudFormation's limit of 4096 for an output value/);
    expect(() => outputsOf({ accessRules: rules.slice(0, 10) })).not.toThrow();
  });

  it('read allowGuests from the CDK context as cdk.json\'s boolean or -c\'s string, and refuse anything else', () => {
    const guestsWith = (value: unknown) => outputsOf({ app: new App({ context: { allowGuests: value } }) }).guestsAllowed!.Value;
    expect(guestsWith('true')).toBe('true');
    expect(guestsWith(true)).toBe('true');
    expect(guestsWith('false')).toBe('false');
    expect(() => guestsWith('yes')).toThrow('allowGuests must be true or false (got "yes")');
  });

  it('are refused by validation with the rule named when a protected grant asks for write', () => {
    expect(() => outputsOf({ accessRules: [{ name: 'photos', prefix: 'photos/{identityId}/', grants: { owner: ['read'], authenticated: ['read', 'write'] } }] })).toThrow(
      'accessRules: access rule 0 "photos" (prefix "photos/{identityId}/"): "authenticated" may only read and list',
    );
  });
});
