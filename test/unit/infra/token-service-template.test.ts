import { App, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { build } from 'esbuild';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScopedStoragePropsError } from '../../../infra/construct/index.ts';
import { TOKEN_SERVICE_EXTERNAL_MODULES, TOKEN_SERVICE_LAMBDA_ENTRY } from '../../../infra/construct/token-service-lambda-bundle.ts';
import { buildStack, type BuildStackOptions } from '../../../infra/stack/build-stack.ts';

function synthesize(options: Partial<BuildStackOptions> = {}): Template {
  const { stack } = buildStack({ app: new App(), nagChecks: false, allowedOrigins: ['https://app.example.com'], ...options });
  return Template.fromStack(stack);
}

type PolicyStatement = { Action: string | string[]; Resource: unknown; Effect: string; Sid?: string };

function functionRoleStatements(template: Template): PolicyStatement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: PolicyStatement[] } } }>;
  return policies.filter((policy) => policy.Properties.Roles.some((role) => role.Ref.startsWith('TokenServiceFunctionRole'))).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** What Lambda itself does with the function's role: write its logs. No code in the bundle makes these calls. */
const LAMBDA_RUNTIME_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** IAM service prefix per AWS SDK client package; a client missing here fails the test until it is added. */
const IAM_PREFIX_OF_SDK_CLIENT: Record<string, string> = {
  'client-cognito-identity': 'cognito-identity',
  'client-secrets-manager': 'secretsmanager',
};

/**
 * The IAM actions the deployed function can call: the AWS SDK Command classes left in its
 * esbuild bundle (same entry and externals as the construct, so unused imports are gone), each
 * mapped to its action (these services name actions after their API operations).
 */
async function actionsCalledByLambdaBundle(): Promise<string[]> {
  const result = await build({ entryPoints: [TOKEN_SERVICE_LAMBDA_ENTRY], bundle: true, format: 'esm', platform: 'node', target: 'node24', external: [...TOKEN_SERVICE_EXTERNAL_MODULES], write: false, logLevel: 'silent' });
  const bundle = result.outputFiles[0]!.text;
  const sdkImports = [...bundle.matchAll(/from\s*"@aws-sdk\/([^"]+)"/g)];
  const namedImports = [...bundle.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/([^"]+)"/g)];
  expect(namedImports.length, 'every AWS SDK import in the bundle is a named import this scan can read').toBe(sdkImports.length);
  expect(bundle).not.toMatch(/(import|require)\(\s*"@aws-sdk\//);
  const actions = new Set<string>();
  for (const [, names, sdkPackage] of namedImports) {
    for (const imported of names!.split(',').map((name) => name.trim().split(/\s+as\s+/)[0]!)) {
      if (!imported.endsWith('Command')) continue;
      const prefix = IAM_PREFIX_OF_SDK_CLIENT[sdkPackage!];
      expect(prefix, `IAM prefix of @aws-sdk/${sdkPackage}`).toBeDefined();
      actions.add(`${prefix}:${imported.slice(0, -'Command'.length)}`);
    }
  }
  return [...actions].sort();
}

describe('token service in the stack', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize();
  });

  it('runs a Node.js 24 ARM64 function bundled at synth time, with HMAC sessions by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          TOKEN_SERVICE_AUTHENTICATOR: 'hmac',
          TOKEN_SERVICE_HMAC_SECRET_ARN: { Ref: Match.stringLikeRegexp('SessionSigningSecret') },
          TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: 'login.scoped-storage',
          TOKEN_SERVICE_IDENTITY_POOL_ID: { Ref: Match.stringLikeRegexp('IdentityPool') },
          TOKEN_SERVICE_ALLOWED_ORIGINS: 'https://app.example.com',
          TOKEN_SERVICE_IDENTITY_LOOKUP: 'signed-in',
        }),
      },
    });
  });

  it('gives the function role exactly the AWS calls the bundled function makes, on this one pool and its own secret, and nothing in S3', async () => {
    const statements = functionRoleStatements(template);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual([...(await actionsCalledByLambdaBundle()), ...LAMBDA_RUNTIME_ACTIONS].sort());
    const cognito = statements.find((statement) => statement.Sid === 'DeveloperIdentitiesOfThisPool');
    expect(JSON.stringify(cognito!.Resource)).toMatch(/:identitypool\/".*"Ref":"StorageIdentityPool/);
    const secret = statements.find((statement) => statement.Sid === 'ReadSessionSigningSecret');
    expect(secret!.Resource).toEqual({ Ref: expect.stringMatching(/^TokenServiceSessionSigningSecret/) });
    expect(actions.some((action) => action.startsWith('s3:'))).toBe(false);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('never lets the function merge identities or describe its secret, which no code path does', async () => {
    const called = await actionsCalledByLambdaBundle();
    expect(called).toEqual([
      'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
      'cognito-identity:LookupDeveloperIdentity',
      'cognito-identity:UnlinkDeveloperIdentity',
      'secretsmanager:GetSecretValue',
    ]);
    const granted = functionRoleStatements(template).flatMap((statement) => [statement.Action].flat());
    expect(granted).not.toContain('cognito-identity:MergeDeveloperIdentities');
    expect(granted).not.toContain('secretsmanager:DescribeSecret');
  });

  it('puts the function behind an HTTP API with throttling, CORS for the app origins and access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com'], AllowHeaders: ['authorization', 'content-type'] }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    for (const routeKey of ['POST /v1/token', 'POST /v1/identities/lookup', 'DELETE /v1/identity', 'GET /healthz']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'NONE' });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/admin/identities/{appUserId}', AuthorizationType: 'AWS_IAM' });
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => (route as { Properties: { RouteKey: string } }).Properties.RouteKey);
    expect(routeKeys.some((key) => key.includes('/dev/'))).toBe(false);
  });

  it('keeps logs for a month', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Array<{ Properties: { RetentionInDays: number } }>;
    expect(groups.length).toBe(2);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('reads a secret passed in with GetSecretValue only, and decrypts it through Secrets Manager when it has its own KMS key', () => {
    const env = { account: '111122223333', region: 'eu-west-1' };
    const statementsWith = (importSecret: (scope: Stack) => ISecret) => {
      const app = new App();
      const secret = importSecret(new Stack(app, 'Imports', { env }));
      const { stack } = buildStack({ app, env, nagChecks: false, allowedOrigins: ['https://app.example.com'], tokenService: { authenticator: { kind: 'hmac', secret } } });
      return functionRoleStatements(Template.fromStack(stack));
    };
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const encrypted = statementsWith((scope) =>
      Secret.fromSecretAttributes(scope, 'Complete', { secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-session-AbCdEf', encryptionKey: Key.fromKeyArn(scope, 'Key', keyArn) }),
    );
    expect(encrypted.find((statement) => statement.Sid === 'ReadSessionSigningSecret')).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-session-AbCdEf' });
    expect(encrypted.find((statement) => statement.Sid === 'DecryptSessionSigningSecret')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
    const plain = statementsWith((scope) => Secret.fromSecretPartialArn(scope, 'Partial', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-session'));
    expect(plain.find((statement) => statement.Sid === 'ReadSessionSigningSecret')?.Resource).toBe('arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-session-??????');
    expect(plain.flatMap((statement) => [statement.Action].flat())).not.toContain('kms:Decrypt');
  });

  it('verifies OIDC sessions when configured, with no secret then', () => {
    const oidc = synthesize({ tokenService: { authenticator: { kind: 'oidc', issuer: 'https://login.example.com', audience: 'photos-app' }, tokenDurationSeconds: 600, rateLimitPerSecond: 5, burstLimit: 10, identityLookup: 'off' } });
    oidc.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOKEN_SERVICE_AUTHENTICATOR: 'oidc',
          TOKEN_SERVICE_OIDC_ISSUER: 'https://login.example.com',
          TOKEN_SERVICE_OIDC_AUDIENCE: 'photos-app',
          TOKEN_SERVICE_OIDC_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
          TOKEN_SERVICE_TOKEN_DURATION_SECONDS: '600',
          TOKEN_SERVICE_IDENTITY_LOOKUP: 'off',
        }),
      },
    });
    oidc.resourceCountIs('AWS::SecretsManager::Secret', 0);
    oidc.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  const invalid: Array<[string, BuildStackOptions['tokenService'], RegExp]> = [
    ['a zero token duration', { tokenDurationSeconds: 0 }, /tokenDurationSeconds/],
    ['a token duration over a day', { tokenDurationSeconds: 86_401 }, /tokenDurationSeconds/],
    ['a fractional rate limit', { rateLimitPerSecond: 0.5 }, /rateLimitPerSecond/],
    ['a plain-http issuer', { authenticator: { kind: 'oidc', issuer: 'http://login.example.com', audience: 'a' } }, /issuer must be an https URL/],
    ['an unknown identity lookup setting', { identityLookup: 'everyone' as 'off' }, /identityLookup must be 'signed-in' or 'off'/],
    ['a missing audience', { authenticator: { kind: 'oidc', issuer: 'https://login.example.com', audience: '' } }, /audience is required/],
  ];
  it.each(invalid)('rejects %s', (_name, tokenService, message) => {
    expect(() => synthesize({ tokenService })).toThrow(ScopedStoragePropsError);
    expect(() => synthesize({ tokenService })).toThrow(message);
  });
});
