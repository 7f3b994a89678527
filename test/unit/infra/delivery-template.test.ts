import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CDN_KEY_PAIR_LAMBDA_ENTRY } from '../../../infra/construct/cdn-key-pair/cdn-key-pair-lambda-bundle.ts';
import { CDN_KEY_PAIR_RESOURCE_TYPE, CDN_READ_STATEMENT_SID, type AccessRule } from '../../../infra/construct/index.ts';
import { TOKEN_SERVICE_EXTERNAL_MODULES } from '../../../infra/construct/token-service-lambda-bundle.ts';
import { buildStack, type BuildStackOptions } from '../../../infra/stack/build-stack.ts';

function synthesize(options: Partial<BuildStackOptions> = {}): Template {
  const { stack } = buildStack({ app: new App(), nagChecks: false, allowedOrigins: ['https://app.example.com'], ...options });
  return Template.fromStack(stack);
}

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Behaviour = { PathPattern?: string; TrustedKeyGroups?: unknown[]; ViewerProtocolPolicy: string; AllowedMethods: string[]; CachePolicyId: unknown; ResponseHeadersPolicyId: unknown; TargetOriginId: string };

function bucketPolicyStatements(template: Template): Statement[] {
  const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Array<{ Properties: { PolicyDocument: { Statement: Statement[] } } }>;
  return policy!.Properties.PolicyDocument.Statement;
}

function distributionConfig(template: Template): { DefaultCacheBehavior: Behaviour; CacheBehaviors?: Behaviour[]; Origins: Array<Record<string, unknown>>; PriceClass: string; Logging?: unknown } {
  const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution')) as Array<{ Properties: { DistributionConfig: ReturnType<typeof distributionConfig> } }>;
  return distribution!.Properties.DistributionConfig;
}

/** `{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/users/*\/*'] }]` -> `/users/*\/*`. */
function objectSuffix(resource: unknown): string {
  const join = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return String(join[1][1]);
}

function tokenServiceEnvironment(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  const [id] = Object.keys(functions).filter((name) => name.startsWith('TokenServiceFunction'));
  return (functions[id!] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
}

function rolePolicyStatements(template: Template, rolePrefix: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } } }>;
  return policies.filter((policy) => policy.Properties.Roles.some((role) => role.Ref.startsWith(rolePrefix))).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('delivery off (the default)', () => {
  const template = synthesize();

  it('creates no distribution, key pair, or CloudFront statement, and no cdnUrl output', () => {
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    template.resourceCountIs(CDN_KEY_PAIR_RESOURCE_TYPE, 0);
    template.resourceCountIs('AWS::CloudFront::KeyGroup', 0);
    expect(bucketPolicyStatements(template).some((statement) => statement.Sid === CDN_READ_STATEMENT_SID)).toBe(false);
    expect(Object.keys(template.findOutputs('cdnUrl'))).toEqual([]);
    expect(Object.keys(tokenServiceEnvironment(template)).filter((name) => /CDN|BUCKET|LOCATIONS|LINK/.test(name))).toEqual([]);
  });
});

describe('delivery: true with guests (the public location)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize({ delivery: true, allowGuests: true });
  });

  it('puts the bucket behind origin access control, never an origin access identity', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' } });
    const [origin] = distributionConfig(template).Origins;
    expect(origin).toMatchObject({ DomainName: { 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/), 'RegionalDomainName'] }, OriginAccessControlId: { 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
  });

  it('signs the default behaviour with the key group: HTTPS only, GET and HEAD (OPTIONS for preflights, never cached), the stack\'s response headers policy', () => {
    const { DefaultCacheBehavior: signed } = distributionConfig(template);
    expect(signed.TrustedKeyGroups).toEqual([{ Ref: expect.stringMatching(/^StorageDeliveryKeyGroup/) }]);
    expect(signed.ViewerProtocolPolicy).toBe('https-only');
    expect(signed.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect((signed as { CachedMethods?: string[] }).CachedMethods).toEqual(['GET', 'HEAD']);
    expect(signed.ResponseHeadersPolicyId).toEqual({ Ref: expect.stringMatching(/^StorageDeliveryResponseHeadersPolicy/) });
  });

  it('answers CORS for the allowed origins only, with credentials (cookies), GET and HEAD, exposing the object headers; the managed security headers kept', () => {
    template.resourceCountIs('AWS::CloudFront::ResponseHeadersPolicy', 1);
    const [policy] = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy')) as Array<{ Properties: { ResponseHeadersPolicyConfig: { Name: unknown; Comment: string; CorsConfig: Record<string, unknown>; SecurityHeadersConfig: Record<string, unknown> } } }>;
    const config = policy!.Properties.ResponseHeadersPolicyConfig;
    expect(config.CorsConfig).toEqual({
      AccessControlAllowOrigins: { Items: ['https://app.example.com'] },
      AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
      AccessControlAllowHeaders: { Items: ['Range', 'If-None-Match', 'If-Modified-Since'] },
      AccessControlAllowCredentials: true,
      AccessControlExposeHeaders: { Items: ['ETag', 'Content-Length', 'Content-Type', 'Last-Modified', 'Accept-Ranges'] },
      AccessControlMaxAgeSec: 600,
      OriginOverride: true,
    });
    // The headers of the managed SecurityHeadersPolicy (67f7725c-...) it replaces, and the sandboxing CSP.
    expect(config.SecurityHeadersConfig).toEqual({
      ContentSecurityPolicy: { ContentSecurityPolicy: "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox", Override: true },
      ContentTypeOptions: { Override: false },
      FrameOptions: { FrameOption: 'SAMEORIGIN', Override: false },
      ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: false },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: false, Override: false },
      XSSProtection: { Protection: true, ModeBlock: true, Override: false },
    });
    // CloudFront refuses a comment above 128 characters.
    expect(config.Comment.length).toBeLessThanOrEqual(128);
    // CloudFront names are global to the account: stack and region in the name.
    expect(JSON.stringify(config.Name)).toContain('cdn-headers');
    expect(JSON.stringify(config.Name)).toContain('AWS::Region');
  });

  it('sandboxes every document the CDN serves: no script, no connection, no form, no frame, no plugin, only its own images and media', () => {
    const [policy] = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy')) as Array<{ Properties: { ResponseHeadersPolicyConfig: { SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: string; Override: boolean } } } } }>;
    const csp = policy!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy;
    // Override: the policy replaces a CSP from the origin, so no upload can bring its own.
    expect(csp.Override).toBe(true);
    const directives = new Map(csp.ContentSecurityPolicy.split(';').map((directive) => { const [name, ...values] = directive.trim().split(/\s+/); return [name!, values]; }));
    // A bare sandbox: no allow-scripts, allow-same-origin, allow-forms, allow-popups or allow-top-navigation.
    expect(directives.get('sandbox')).toEqual([]);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    for (const fetching of ['script-src', 'connect-src', 'frame-src', 'child-src', 'object-src', 'worker-src', 'font-src', 'manifest-src']) expect(directives.has(fetching), fetching).toBe(false);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
    expect(directives.get('media-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'unsafe-inline'"]);
    // Every behaviour, signed and unsigned, answers with that policy.
    const { DefaultCacheBehavior, CacheBehaviors = [] } = distributionConfig(template);
    const [policyId] = Object.keys(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    for (const behaviour of [DefaultCacheBehavior, ...CacheBehaviors]) expect(behaviour.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
  });

  it('lists every allowed origin of the construct in the CDN\'s CORS, and no other', () => {
    const several = synthesize({ delivery: true, allowedOrigins: ['https://app.example.com', 'https://admin.example.com'] });
    several.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({ CorsConfig: Match.objectLike({ AccessControlAllowOrigins: { Items: ['https://app.example.com', 'https://admin.example.com'] } }) }),
    });
  });

  it('caches signed files like CachingOptimized, with response-content-disposition in the cache key (so a download link and an inline link are two entries)', () => {
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 86_400,
        MinTTL: 1,
        MaxTTL: 31_536_000,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
          QueryStringsConfig: { QueryStringBehavior: 'whitelist', QueryStrings: ['response-content-disposition'] },
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      }),
    });
  });

  it('serves only the public location unsigned: one behaviour public/*, no key group, CachingOptimized', () => {
    const behaviours = distributionConfig(template).CacheBehaviors ?? [];
    expect(behaviours.map((behaviour) => behaviour.PathPattern)).toEqual(['public/*']);
    expect(behaviours[0]).toMatchObject({ ViewerProtocolPolicy: 'https-only', AllowedMethods: ['GET', 'HEAD', 'OPTIONS'], CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6', ResponseHeadersPolicyId: distributionConfig(template).DefaultCacheBehavior.ResponseHeadersPolicyId });
    expect(behaviours[0]!.TrustedKeyGroups).toBeUndefined();
  });

  it('lets exactly this distribution read exactly the locations: one object resource per rule, placeholders as *', () => {
    const cloudFront = bucketPolicyStatements(template).filter((statement) => JSON.stringify(statement.Principal).includes('cloudfront.amazonaws.com'));
    expect(cloudFront).toHaveLength(1);
    const [statement] = cloudFront;
    expect(statement).toMatchObject({ Sid: CDN_READ_STATEMENT_SID, Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
    expect((statement!.Resource as unknown[]).map(objectSuffix)).toEqual(['/users/*/*', '/protected/*/*', '/shared/*', '/tenants/*/*', '/public/*/*']);
    expect(statement!.Condition).toEqual({
      StringEquals: {
        'AWS:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: expect.stringMatching(/^StorageDeliveryDistribution/) }]] },
      },
    });
  });

  it('grants CloudFront nothing on the whole bucket (CDK\'s own OAC statement for bucket/* is not added)', () => {
    const resources = bucketPolicyStatements(template)
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]))
      .map(objectSuffix);
    expect(resources).not.toContain('/*');
  });

  it('creates one key pair through the custom resource and trusts its public key, which is read from the resource\'s PublicKeyPem', () => {
    const keyPairs = template.findResources(CDN_KEY_PAIR_RESOURCE_TYPE);
    expect(Object.keys(keyPairs)).toEqual([expect.stringMatching(/^StorageDeliveryKeyPairA/)]);
    const [keyPairId] = Object.keys(keyPairs);
    expect((keyPairs[keyPairId!] as { Properties: Record<string, unknown> }).Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^StorageDeliveryKeyPairFunction/), 'Arn'] },
      SecretNamePrefix: 'ScopedStorage/cdn-key-a',
      Description: expect.stringContaining('slot a'),
    });
    template.hasResourceProperties('AWS::CloudFront::PublicKey', { PublicKeyConfig: Match.objectLike({ EncodedKey: { 'Fn::GetAtt': [keyPairId, 'PublicKeyPem'] } }) });
    const keyGroups = Object.values(template.findResources('AWS::CloudFront::KeyGroup')) as Array<{ Properties: { KeyGroupConfig: { Items: unknown[] } } }>;
    expect(keyGroups.map((group) => group.Properties.KeyGroupConfig.Items)).toEqual([[{ Ref: expect.stringMatching(/^StorageDeliveryPublicKeyA/) }]]);
  });

  it('hands the token service the CDN settings, the locations output text and the active key', () => {
    const environment = tokenServiceEnvironment(template);
    const outputs = template.findOutputs('*');
    expect(environment.TOKEN_SERVICE_CDN_URL).toEqual(outputs.cdnUrl!.Value);
    expect(environment.TOKEN_SERVICE_CDN_URL).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^StorageDeliveryDistribution/), 'DomainName'] }]] });
    expect(environment.TOKEN_SERVICE_CDN_KEY_PAIR_ID).toEqual({ Ref: expect.stringMatching(/^StorageDeliveryPublicKeyA/) });
    expect(environment.TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StorageDeliveryKeyPairA/), 'SecretArn'] });
    expect(environment.TOKEN_SERVICE_BUCKET).toEqual({ Ref: expect.stringMatching(/^StorageBucket/) });
    expect(environment.TOKEN_SERVICE_LOCATIONS).toBe(outputs.locations!.Value);
    expect(environment.TOKEN_SERVICE_LINK_MAX_SECONDS).toBe('604800');
    expect(environment.TOKEN_SERVICE_CDN_COOKIE_DOMAIN).toBeUndefined();
  });

  it('lets the token service read the active key\'s secret and no other secret of the key pairs', () => {
    const reads = rolePolicyStatements(template, 'TokenServiceFunctionRole').filter((statement) => statement.Action === 'secretsmanager:GetSecretValue');
    expect(reads.map((statement) => statement.Resource)).toEqual([
      { Ref: expect.stringMatching(/^TokenServiceSessionSigningSecret/) },
      { 'Fn::GetAtt': [expect.stringMatching(/^StorageDeliveryKeyPairA/), 'SecretArn'] },
    ]);
  });

  it('outputs cdnUrl', () => {
    expect(template.findOutputs('cdnUrl').cdnUrl!.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^StorageDeliveryDistribution/), 'DomainName'] }]] });
  });

  it('uses PriceClass_100 and no logs by default', () => {
    expect(distributionConfig(template).PriceClass).toBe('PriceClass_100');
    expect(distributionConfig(template).Logging).toBeUndefined();
  });
});

describe('the key pair function', () => {
  const template = synthesize({ delivery: true });

  it('may create, read and delete only the key pair secrets (named by the stack), and write its logs', () => {
    const statements = rolePolicyStatements(template, 'StorageDeliveryKeyPairFunctionRole');
    expect(statements.map((statement) => [statement.Sid, statement.Action])).toEqual([
      ['KeyPairSecrets', ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret']],
      ['OwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents']],
    ]);
    expect(JSON.stringify(statements[0]!.Resource)).toContain(':secret:ScopedStorage/cdn-key-*');
  });

  it('calls exactly the granted Secrets Manager actions (the AWS SDK commands in its esbuild bundle)', async () => {
    const result = await build({ entryPoints: [CDN_KEY_PAIR_LAMBDA_ENTRY], bundle: true, format: 'esm', platform: 'node', target: 'node24', external: [...TOKEN_SERVICE_EXTERNAL_MODULES], write: false, logLevel: 'silent' });
    const bundle = result.outputFiles[0]!.text;
    const commands = [...bundle.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-secrets-manager"/g)]
      .flatMap(([, names]) => names!.split(',').map((name) => name.trim().split(/\s+as\s+/)[0]!))
      .filter((name) => name.endsWith('Command'))
      .map((name) => `secretsmanager:${name.slice(0, -'Command'.length)}`);
    const granted = rolePolicyStatements(template, 'StorageDeliveryKeyPairFunctionRole').find((statement) => statement.Sid === 'KeyPairSecrets')!.Action as string[];
    expect(commands.sort()).toEqual([...granted].sort());
  });

  it('runs on Node.js 24 ARM64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'], Description: Match.stringLikeRegexp('CloudFront key pairs') });
  });
});

describe('delivery options', () => {
  it('passes maxLinkLifetime, priceClass and cookieDomain through', () => {
    const template = synthesize({ delivery: { maxLinkLifetime: Duration.hours(12), priceClass: PriceClass.PRICE_CLASS_ALL, cookieDomain: 'example.com' } });
    expect(distributionConfig(template).PriceClass).toBe('PriceClass_All');
    expect(tokenServiceEnvironment(template)).toMatchObject({ TOKEN_SERVICE_LINK_MAX_SECONDS: '43200', TOKEN_SERVICE_CDN_COOKIE_DOMAIN: 'example.com' });
  });

  it('writes standard logs to the given log bucket', () => {
    const app = new App();
    const { stack } = buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'], stackName: 'WithLogs', delivery: true });
    const withLogs = buildStack({
      app,
      nagChecks: false,
      allowedOrigins: ['https://app.example.com'],
      stackName: 'WithLogBucket',
      delivery: { logBucket: new Bucket(stack, 'CdnLogs', { objectOwnership: ObjectOwnership.OBJECT_WRITER, enforceSSL: true }) },
    });
    expect(distributionConfig(Template.fromStack(withLogs.stack)).Logging).toMatchObject({ Prefix: 'scoped-storage-cdn/' });
  });

  it('serves no location unsigned without guests', () => {
    expect(distributionConfig(synthesize({ delivery: true })).CacheBehaviors).toBeUndefined();
  });

  it('makes one unsigned behaviour per public rule from the literal prefix before the first placeholder', () => {
    const accessRules: AccessRule[] = [
      { name: 'private', prefix: 'users/{identityId}/', grants: { owner: ['read', 'write'] } },
      { name: 'assets', prefix: 'assets/', grants: { guests: ['read'], authenticated: ['read'] } },
      { name: 'gallery', prefix: 'gallery/{identityId}/', grants: { guests: ['read'], owner: ['read', 'write'] } },
      { name: 'drafts', prefix: 'drafts/{identityId}/', grants: { owner: ['read', 'write'], guests: ['list'] } },
    ];
    const template = synthesize({ delivery: true, allowGuests: true, accessRules });
    expect((distributionConfig(template).CacheBehaviors ?? []).map((behaviour) => behaviour.PathPattern)).toEqual(['assets/*', 'gallery/*']);
    const statement = bucketPolicyStatements(template).find((candidate) => candidate.Sid === CDN_READ_STATEMENT_SID)!;
    expect((statement.Resource as unknown[]).map(objectSuffix)).toEqual(['/users/*/*', '/assets/*', '/gallery/*/*', '/drafts/*/*']);
  });

  it('keeps CDK\'s key policy grant for a KMS-encrypted bucket (CloudFront must decrypt what it serves)', () => {
    const app = new App();
    const { stack } = buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'], stackName: 'Keys' });
    const encrypted = buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'], stackName: 'Encrypted', delivery: true, encryptionKey: new Key(stack, 'BucketKey', { enableKeyRotation: true }) });
    expect(() => Template.fromStack(encrypted.stack)).not.toThrow();
    const keyPolicy = Template.fromStack(stack).findResources('AWS::KMS::Key');
    expect(JSON.stringify(keyPolicy)).toContain('cloudfront.amazonaws.com');
  });
});

describe('cdk.out with delivery (bundled as cdk synth bundles)', () => {
  it('holds no private key: the key pair is made in the account at deployment', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'delivery-cdk-out-'));
    const app = new App({ outdir });
    buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'], delivery: true });
    app.synth();
    const files: string[] = [];
    const walk = (directory: string): void => {
      for (const name of readdirSync(directory)) {
        const path = join(directory, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(outdir);
    expect(files.some((file) => file.endsWith('.template.json'))).toBe(true);
    // A PEM block with a body, not code that names the header.
    const privateKeyPem = /-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----[\sA-Za-z0-9+/=]{200,}-----END/;
    expect(files.filter((file) => privateKeyPem.test(readFileSync(file, 'utf8')))).toEqual([]);
  }, 60_000);
});
