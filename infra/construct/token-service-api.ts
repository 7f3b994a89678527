import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, type Function as LambdaFunction, type FunctionOptions } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bundledLambdaFunction } from './bundled-lambda-function.ts';
import { prebuiltTokenServiceLambdaDirectory, TOKEN_SERVICE_LAMBDA_ENTRY, TOKEN_SERVICE_LAMBDA_HANDLER } from './token-service-lambda-bundle.ts';
import { assertEnvironmentFits } from './token-service-environment-size.ts';
import { ScopedStoragePropsError } from './validate-scoped-storage-props.ts';

/** How the token service recognises a signed-in app user. The local development sign-in is not an option here, by design. */
export type TokenServiceAuthenticator =
  | {
      kind: 'oidc';
      /** Issuer of the app's session JWTs (the `iss` claim), an https URL. */
      issuer: string;
      /** Expected `aud` claim. */
      audience: string;
      /** @default `${issuer}/.well-known/jwks.json` */
      jwksUrl?: string;
    }
  | {
      kind: 'hmac';
      /** Secret shared with the app's backend, which signs session tokens with HS256. @default a generated secret */
      secret?: ISecret;
    };

/** What the token service needs to sign CDN links and cookies (`TOKEN_SERVICE_CDN_*`, docs/delivery.md). */
export interface TokenServiceDelivery {
  /** `https://<distribution domain>`. */
  readonly cdnUrl: string;
  /** Id of the CloudFront public key the service signs for. */
  readonly keyPairId: string;
  /** ARN of the secret holding the private key PEM; the function may read this secret only. */
  readonly privateKeySecretArn: string;
  /** The bucket's name. */
  readonly bucketName: string;
  /** The access rules as JSON, the same text as the stack's `locations` output. */
  readonly locationsJson: string;
  /** Longest link or cookie lifetime, in seconds. */
  readonly maxLinkSeconds: number;
  /** `Domain` of the signed cookies. @default host-only cookies */
  readonly cookieDomain?: string;
}

export interface TokenServiceApiProps {
  /** Identity pool the tokens are for. */
  readonly identityPoolId: string;
  /** The pool's developer provider name. */
  readonly developerProviderName: string;
  /** Web origins allowed to call the API from a browser. */
  readonly allowedOrigins: readonly string[];
  /**
   * How app sessions are verified.
   * @default { kind: 'hmac' } with a generated secret in Secrets Manager
   */
  readonly authenticator?: TokenServiceAuthenticator;
  /**
   * Lifetime of the OpenID tokens handed out, in seconds (Cognito allows 1 to 86400).
   * @default 900
   */
  readonly tokenDurationSeconds?: number;
  /**
   * Requests per second the API accepts in the steady state, for all callers together.
   * @default 50
   */
  readonly rateLimitPerSecond?: number;
  /**
   * Short bursts above the steady rate.
   * @default 100
   */
  readonly burstLimit?: number;
  /**
   * Who may resolve an app user id to an identity id (`POST /v1/identities/lookup`, used to open
   * someone's protected folder): any signed-in session, or nobody (403 `lookup_disabled`).
   * @default 'signed-in'
   */
  readonly identityLookup?: 'signed-in' | 'off';
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * CDN delivery: the service signs links and cookies for the distribution.
   * @default no delivery (the link routes answer 404 delivery_not_configured)
   */
  readonly delivery?: TokenServiceDelivery;
}

/**
 * The API's access log line, JSON so CloudWatch Logs metric filters can select on fields (the
 * monitoring counts `status` "429" per `apiId`). No caller identity or headers: the source IP only.
 */
export const API_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  time: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  sourceIp: '$context.identity.sourceIp',
} as const;

const DEVELOPER_IDENTITY_ACTIONS = [
  'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
  'cognito-identity:LookupDeveloperIdentity',
  'cognito-identity:UnlinkDeveloperIdentity',
];

/**
 * The token service as deployed: one Node.js Lambda (ARM64; bundled with esbuild at synth time
 * from the sources, or the bundle `npm run build` made when this runs from the installed package)
 * behind an HTTP API with throttling and CORS for the app origins. Its role may make exactly the
 * calls the function's code makes (the developer-identity calls it uses on this one pool, reading
 * its own secret) and nothing in S3.
 */
export class TokenServiceApi extends Construct {
  readonly function: LambdaFunction;
  readonly api: HttpApi;
  readonly url: string;
  readonly secret?: ISecret;
  /** The function's own log group: one JSON line per request (see the README's token service section). */
  readonly functionLogGroup: ILogGroup;
  /**
   * The API's access log group: one JSON line per request API Gateway answered (`API_ACCESS_LOG_FIELDS`),
   * including the 429s of the stage's throttling, which never reach the function.
   */
  readonly accessLogGroup: ILogGroup;

  constructor(scope: Construct, id: string, props: TokenServiceApiProps) {
    super(scope, id);
    validateTokenServiceProps(props);
    const stack = Stack.of(this);
    const authenticator = props.authenticator ?? { kind: 'hmac' };

    const logGroup = new LogGroup(this, 'FunctionLogs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.functionLogGroup = logGroup;
    const role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Token service: developer-identity calls on one identity pool, its own logs, its own secret.',
    });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'DeveloperIdentitiesOfThisPool',
        actions: DEVELOPER_IDENTITY_ACTIONS,
        resources: [stack.formatArn({ service: 'cognito-identity', resource: 'identitypool', resourceName: props.identityPoolId })],
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}`] }));

    const environment: Record<string, string> = {
      TOKEN_SERVICE_IDENTITY_POOL_ID: props.identityPoolId,
      TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: props.developerProviderName,
      TOKEN_SERVICE_TOKEN_DURATION_SECONDS: String(props.tokenDurationSeconds ?? 900),
      TOKEN_SERVICE_ALLOWED_ORIGINS: props.allowedOrigins.join(','),
      TOKEN_SERVICE_AUTHENTICATOR: authenticator.kind,
      TOKEN_SERVICE_IDENTITY_LOOKUP: props.identityLookup ?? 'signed-in',
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (authenticator.kind === 'oidc') {
      environment.TOKEN_SERVICE_OIDC_ISSUER = authenticator.issuer;
      environment.TOKEN_SERVICE_OIDC_AUDIENCE = authenticator.audience;
      environment.TOKEN_SERVICE_OIDC_JWKS_URL = authenticator.jwksUrl ?? `${authenticator.issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
    } else {
      this.secret = authenticator.secret ?? new Secret(this, 'SessionSigningSecret', {
        description: 'HS256 secret the app backend signs session tokens with; the token service verifies them.',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      // Not grantRead: it adds DescribeSecret, which the function never calls.
      role.addToPolicy(new PolicyStatement({ sid: 'ReadSessionSigningSecret', actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretFullArn ?? `${this.secret.secretArn}-??????`] }));
      if (this.secret.encryptionKey) {
        role.addToPolicy(
          new PolicyStatement({
            sid: 'DecryptSessionSigningSecret',
            actions: ['kms:Decrypt'],
            resources: [this.secret.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
          }),
        );
      }
      if (!authenticator.secret) {
        Validations.of(this.secret.node.defaultChild as CfnElement).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: 'The secret is shared with the app backend that signs session tokens; rotating it needs that backend to switch keys in step, so rotation is the operator\'s decision (pass your own rotated secret as authenticator.secret).',
        });
      }
      environment.TOKEN_SERVICE_HMAC_SECRET_ARN = this.secret.secretArn;
    }

    if (props.delivery) {
      const delivery = props.delivery;
      Object.assign(environment, {
        TOKEN_SERVICE_CDN_URL: delivery.cdnUrl,
        TOKEN_SERVICE_CDN_KEY_PAIR_ID: delivery.keyPairId,
        TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN: delivery.privateKeySecretArn,
        TOKEN_SERVICE_BUCKET: delivery.bucketName,
        TOKEN_SERVICE_LOCATIONS: delivery.locationsJson,
        TOKEN_SERVICE_LINK_MAX_SECONDS: String(delivery.maxLinkSeconds),
        ...(delivery.cookieDomain === undefined ? {} : { TOKEN_SERVICE_CDN_COOKIE_DOMAIN: delivery.cookieDomain }),
      });
      role.addToPolicy(new PolicyStatement({ sid: 'ReadCdnPrivateKey', actions: ['secretsmanager:GetSecretValue'], resources: [delivery.privateKeySecretArn] }));
    }
    assertEnvironmentFits(environment);

    const functionOptions: FunctionOptions & { runtime: Runtime } = {
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(10),
      role,
      logGroup,
      environment,
    };
    this.function = bundledLambdaFunction(this, 'Function', {
      ...functionOptions,
      entry: TOKEN_SERVICE_LAMBDA_ENTRY,
      prebuiltDirectory: prebuiltTokenServiceLambdaDirectory(),
      prebuiltHandler: TOKEN_SERVICE_LAMBDA_HANDLER,
      sourceMap: true,
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'Vends Cognito OpenID tokens to signed-in app users.',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...props.allowedOrigins],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.accessLogGroup = accessLogs;
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimitPerSecond ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: AccessLogFormat.custom(JSON.stringify(API_ACCESS_LOG_FIELDS)) },
    });
    const integration = new HttpLambdaIntegration('Function', this.function);
    const sessionAuthorizedRoutes = [
      ...this.api.addRoutes({ path: '/v1/token', methods: [HttpMethod.POST], integration }),
      ...this.api.addRoutes({ path: '/v1/identity', methods: [HttpMethod.DELETE], integration }),
      ...this.api.addRoutes({ path: '/v1/identities/lookup', methods: [HttpMethod.POST], integration }),
      ...this.api.addRoutes({ path: '/healthz', methods: [HttpMethod.GET], integration }),
    ];
    this.api.addRoutes({ path: '/v1/admin/identities/{appUserId}', methods: [HttpMethod.GET], integration, authorizer: new HttpIamAuthorizer() });
    this.url = stage.url;

    for (const route of sessionAuthorizedRoutes) {
      Validations.of(route.node.defaultChild as CfnElement).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'The function authorizes these routes itself: it verifies the app session token (OIDC or HMAC JWT) on every request; /healthz is public on purpose. The admin route uses IAM authorization.',
      });
    }
  }
}

function validateTokenServiceProps(props: TokenServiceApiProps): void {
  const duration = props.tokenDurationSeconds;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < 1 || duration > 86_400)) {
    throw new ScopedStoragePropsError(`tokenService.tokenDurationSeconds must be a whole number from 1 to 86400 (got ${duration}).`);
  }
  for (const [name, value] of [['rateLimitPerSecond', props.rateLimitPerSecond], ['burstLimit', props.burstLimit]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new ScopedStoragePropsError(`tokenService.${name} must be a positive whole number (got ${value}).`);
    }
  }
  if (props.identityLookup !== undefined && props.identityLookup !== 'signed-in' && props.identityLookup !== 'off') {
    throw new ScopedStoragePropsError(`tokenService.identityLookup must be 'signed-in' or 'off' (got ${JSON.stringify(props.identityLookup)}).`);
  }
  const authenticator = props.authenticator;
  if (authenticator?.kind === 'oidc') {
    for (const [name, value] of [['issuer', authenticator.issuer], ['jwksUrl', authenticator.jwksUrl]] as const) {
      if (value === undefined) continue;
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (!url || url.protocol !== 'https:') throw new ScopedStoragePropsError(`tokenService.authenticator.${name} must be an https URL (got "${value}").`);
    }
    if (!authenticator.audience) throw new ScopedStoragePropsError('tokenService.authenticator.audience is required for the oidc authenticator.');
  }
}
