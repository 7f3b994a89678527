import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScopedStoragePropsError } from '../../../infra/construct/index.ts';
import { buildStack, type BuildStackOptions } from '../../../infra/stack/build-stack.ts';

function synthesize(options: Partial<BuildStackOptions> = {}): Template {
  const { stack } = buildStack({ app: new App(), nagChecks: false, allowedOrigins: ['https://app.example.com'], ...options });
  return Template.fromStack(stack);
}

type PolicyStatement = { Action: string | string[]; Resource: unknown; Effect: string; Sid?: string };

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
        }),
      },
    });
  });

  it('gives the function role only the developer-identity calls on this one pool, its logs and its secret, and nothing in S3', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: PolicyStatement[] } } }>;
    const functionPolicy = policies.find((policy) => policy.Properties.Roles.some((role) => role.Ref.startsWith('TokenServiceFunctionRole')));
    const statements = functionPolicy!.Properties.PolicyDocument.Statement;
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual([
      'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
      'cognito-identity:LookupDeveloperIdentity',
      'cognito-identity:MergeDeveloperIdentities',
      'cognito-identity:UnlinkDeveloperIdentity',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const cognito = statements.find((statement) => statement.Sid === 'DeveloperIdentitiesOfThisPool');
    expect(JSON.stringify(cognito!.Resource)).toMatch(/:identitypool\/".*"Ref":"StorageIdentityPool/);
    expect(actions.some((action) => action.startsWith('s3:'))).toBe(false);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
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
    for (const routeKey of ['POST /v1/token', 'DELETE /v1/identity', 'GET /healthz']) {
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

  it('verifies OIDC sessions when configured, with no secret then', () => {
    const oidc = synthesize({ tokenService: { authenticator: { kind: 'oidc', issuer: 'https://login.example.com', audience: 'photos-app' }, tokenDurationSeconds: 600, rateLimitPerSecond: 5, burstLimit: 10 } });
    oidc.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOKEN_SERVICE_AUTHENTICATOR: 'oidc',
          TOKEN_SERVICE_OIDC_ISSUER: 'https://login.example.com',
          TOKEN_SERVICE_OIDC_AUDIENCE: 'photos-app',
          TOKEN_SERVICE_OIDC_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
          TOKEN_SERVICE_TOKEN_DURATION_SECONDS: '600',
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
    ['a missing audience', { authenticator: { kind: 'oidc', issuer: 'https://login.example.com', audience: '' } }, /audience is required/],
  ];
  it.each(invalid)('rejects %s', (_name, tokenService, message) => {
    expect(() => synthesize({ tokenService })).toThrow(ScopedStoragePropsError);
    expect(() => synthesize({ tokenService })).toThrow(message);
  });
});
