import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScopedStorage, ScopedStoragePropsError, StorageMonitoring, TokenServiceApi, type StorageMonitoringOptions } from '../../../infra/construct/index.ts';
import { buildStack, type BuildStackOptions } from '../../../infra/stack/build-stack.ts';

/** The Lambda bundle is irrelevant to these resources; skipping esbuild keeps each synth fast. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function synthesize(options: Partial<BuildStackOptions> = {}): Template {
  const { stack } = buildStack({ app: new App({ context: NO_BUNDLING }), nagChecks: false, allowedOrigins: ['https://app.example.com'], ...options });
  return Template.fromStack(stack);
}

const ALLOWED_ORIGINS = ['https://app.example.com'];
const EXISTING_TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:ops-alarms';

/**
 * The constructs wired by hand in one stack, as an app with its own organisation trail would:
 * the trail must live in the same stack as the bucket (its selector names the bucket, and the
 * metric filter reads the trail's log group).
 */
function synthesizeWithExistingTrail(options: { logGroup: boolean; monitoring?: StorageMonitoringOptions }): { template: Template; trailId: string } {
  const stack = new Stack(new App({ context: NO_BUNDLING }), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  const trail = new Trail(stack, 'OrganisationTrail', { sendToCloudWatchLogs: true, cloudWatchLogGroup: new LogGroup(stack, 'OrganisationTrailLogs', { retention: RetentionDays.ONE_YEAR }) });
  const storage = new ScopedStorage(stack, 'Storage', { allowedOrigins: ALLOWED_ORIGINS, auditTrail: { trail, logGroup: options.logGroup ? trail.logGroup : undefined } });
  const tokenService = new TokenServiceApi(stack, 'TokenService', { identityPoolId: storage.identityPoolId, developerProviderName: storage.developerProviderName, allowedOrigins: ALLOWED_ORIGINS });
  new StorageMonitoring(stack, 'Monitoring', { ...options.monitoring, bucket: storage.bucket, tokenService, auditTrail: storage.auditTrail });
  return { template: Template.fromStack(stack), trailId: stack.getLogicalId(trail.node.defaultChild as CfnElement) };
}

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

function onlyResource(template: Template, type: string): [string, Resource] {
  const found = resourcesOfType(template, type);
  expect(found.map(([id]) => id), type).toHaveLength(1);
  return found[0]!;
}

function logicalIdStartingWith(template: Template, type: string, prefix: string): string {
  const ids = resourcesOfType(template, type).map(([id]) => id).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

/** The alarm whose logical id starts with `prefix`. */
function alarm(template: Template, prefix: string): Record<string, unknown> {
  return template.toJSON().Resources[logicalIdStartingWith(template, 'AWS::CloudWatch::Alarm', prefix)].Properties as Record<string, unknown>;
}

/** The dashboard body with every reference written as REF(<logical id>), parsed. */
function dashboardBody(template: Template): { widgets: Array<{ type: string; properties: Record<string, unknown> }> } {
  const [, dashboard] = onlyResource(template, 'AWS::CloudWatch::Dashboard');
  const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const reference = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return reference.Ref ? `REF(${reference.Ref})` : `GETATT(${reference['Fn::GetAtt']!.join('.')})`;
    })
    .join('');
  return JSON.parse(text) as { widgets: Array<{ type: string; properties: Record<string, unknown> }> };
}

function expectStorageError(build: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    build();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ScopedStoragePropsError);
  expect((thrown as Error).message).toMatch(message);
}

describe('monitoring and the audit trail are off by default', () => {
  it('creates no trail, log bucket, alarm, metric filter, topic or dashboard', () => {
    const template = synthesize();
    for (const type of ['AWS::CloudTrail::Trail', 'AWS::CloudWatch::Alarm', 'AWS::Logs::MetricFilter', 'AWS::SNS::Topic', 'AWS::CloudWatch::Dashboard', 'AWS::KMS::Key']) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  it('writes the API access log as JSON with the fields the 429 metric filter selects on', () => {
    const [, stage] = onlyResource(synthesize(), 'AWS::ApiGatewayV2::Stage');
    const format = JSON.parse((stage.Properties.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', apiId: '$context.apiId', status: '$context.status', routeKey: '$context.routeKey' });
    expect(Object.values(format).join(' ')).not.toMatch(/authorizer|header|user/i);
  });
});

describe('a new audit trail with every monitoring default', () => {
  let template: Template;
  let bucketId: string;
  let logBucketId: string;
  let topicId: string;
  beforeAll(() => {
    template = synthesize({ auditTrail: true, monitoring: { emailSubscriptions: ['ops@example.com', 'oncall@example.com'] } });
    bucketId = logicalIdStartingWith(template, 'AWS::S3::Bucket', 'StorageBucket');
    logBucketId = logicalIdStartingWith(template, 'AWS::S3::Bucket', 'StorageAuditTrailLogBucket');
    topicId = logicalIdStartingWith(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic');
  });

  it('records data events of exactly this bucket\'s objects, all reads and writes, no management events, with log file validation', () => {
    const [, trail] = onlyResource(template, 'AWS::CloudTrail::Trail');
    expect(trail.Properties.EventSelectors).toEqual([
      {
        DataResources: [{ Type: 'AWS::S3::Object', Values: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/']] }] }],
        IncludeManagementEvents: false,
        ReadWriteType: 'All',
      },
    ]);
    expect(trail.Properties).toMatchObject({
      EnableLogFileValidation: true,
      IsLogging: true,
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      S3BucketName: { Ref: logBucketId },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::Logs::LogGroup', 'StorageAuditTrailLogGroup'), 'Arn'] },
      CloudWatchLogsRoleArn: { 'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::IAM::Role', 'StorageAuditTrailLogsRole'), 'Arn'] },
    });
  });

  it('keeps the trail\'s log files in an encrypted, private, retained bucket that expires them after 365 days', () => {
    const logBucket = template.toJSON().Resources[logBucketId] as Resource & { UpdateReplacePolicy: string };
    expect(logBucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [{ Id: 'ExpireTrailLogFiles', ExpirationInDays: 365, Status: 'Enabled' }] },
    });
    expect(logBucket.DeletionPolicy).toBe('Retain');
    expect(logBucket.UpdateReplacePolicy).toBe('Retain');
  });

  it('lets only TLS 1.2+ reach the log bucket, and CloudTrail write only under AWSLogs/<account>/', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          Match.objectLike({ Effect: 'Allow', Action: 's3:GetBucketAcl', Principal: { Service: 'cloudtrail.amazonaws.com' } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logBucketId, 'Arn'] }, '/AWSLogs/', { Ref: 'AWS::AccountId' }, '/*']] },
          }),
        ]),
      },
    });
  });

  it('keeps the trail\'s CloudWatch Logs copy 90 days; its role may only write there', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    const logGroupId = logicalIdStartingWith(template, 'AWS::Logs::LogGroup', 'StorageAuditTrailLogGroup');
    const roleId = logicalIdStartingWith(template, 'AWS::IAM::Role', 'StorageAuditTrailLogsRole');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['logs:PutLogEvents', 'logs:CreateLogStream'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } }] },
    });
  });

  it('notifies a topic under its own rotated KMS key that CloudWatch of this account may use, TLS-only, with the email subscriptions', () => {
    const keyId = logicalIdStartingWith(template, 'AWS::KMS::Key', 'MonitoringAlarmTopicKey');
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
        ]),
      },
    });
    const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription').map(([, subscription]) => subscription.Properties);
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } },
        { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } },
      ]),
    );
    expect(subscriptions).toHaveLength(2);
  });

  it('has five alarms, each notifying the topic on alarm and on OK, quiet when data is missing, over 5 minutes once', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'MonitoringAccessDeniedAlarm',
      'MonitoringFunctionErrorsAlarm',
      'MonitoringFunctionThrottlesAlarm',
      'MonitoringServerErrorRateAlarm',
      'MonitoringThrottledRateAlarm',
    ]);
    for (const [, resource] of alarms) {
      expect(resource.Properties).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        TreatMissingData: 'notBreaching',
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(String(resource.Properties.AlarmDescription).length).toBeGreaterThan(40);
    }
  });

  it('alarms on 5% of token service requests answered 5xx, from the HTTP API\'s 5xx and Count, only above 20 requests', () => {
    const properties = alarm(template, 'MonitoringServerErrorRateAlarm');
    expect(properties.Threshold).toBe(5);
    const apiId = logicalIdStartingWith(template, 'AWS::ApiGatewayV2::Api', 'TokenServiceApi');
    expect(properties.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'IF(FILL(requests, 0) >= 20, 100 * FILL(serverErrors, 0) / requests, 0)', Label: '5xx rate (%)', ReturnData: true },
      { Id: 'serverErrors', Label: '5xx', MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }, Period: 300, Stat: 'Sum' }, ReturnData: false },
      { Id: 'requests', Label: 'Requests', MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }, Period: 300, Stat: 'Sum' }, ReturnData: false },
    ]);
  });

  it('alarms on 10% answered 429, counted by a metric filter on status "429" in the API\'s JSON access log, per API id', () => {
    const accessLogsId = logicalIdStartingWith(template, 'AWS::Logs::LogGroup', 'TokenServiceApiAccessLogs');
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: accessLogsId },
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [{ MetricNamespace: 'ScopedStorage', MetricName: 'TokenServiceThrottled', MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] }],
    });
    const properties = alarm(template, 'MonitoringThrottledRateAlarm');
    expect(properties.Threshold).toBe(10);
    const apiId = logicalIdStartingWith(template, 'AWS::ApiGatewayV2::Api', 'TokenServiceApi');
    expect(properties.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: 'IF(FILL(requests, 0) >= 20, 100 * FILL(throttled, 0) / requests, 0)', ReturnData: true }),
        expect.objectContaining({ Id: 'throttled', MetricStat: { Metric: { Namespace: 'ScopedStorage', MetricName: 'TokenServiceThrottled', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }, Period: 300, Stat: 'Sum' } }),
      ]),
    );
  });

  it('alarms on 1 failed and 1 throttled invocation of the token service function', () => {
    const functionId = logicalIdStartingWith(template, 'AWS::Lambda::Function', 'TokenServiceFunction');
    for (const [prefix, metricName] of [['MonitoringFunctionErrorsAlarm', 'Errors'], ['MonitoringFunctionThrottlesAlarm', 'Throttles']] as const) {
      expect(alarm(template, prefix)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
      });
    }
  });

  it('alarms on 25 AccessDenied S3 requests on this bucket, counted from the trail\'s events in CloudWatch Logs', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalIdStartingWith(template, 'AWS::Logs::LogGroup', 'StorageAuditTrailLogGroup') },
      FilterPattern: { 'Fn::Join': ['', ['{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied") && ($.requestParameters.bucketName = "', { Ref: bucketId }, '") }']] },
      MetricTransformations: [{ MetricNamespace: 'ScopedStorage', MetricName: 'AccessDenied', MetricValue: '1', Dimensions: [{ Key: 'Bucket', Value: '$.requestParameters.bucketName' }] }],
    });
    const properties = alarm(template, 'MonitoringAccessDeniedAlarm');
    expect(properties.Threshold).toBe(25);
    expect(properties.Metrics).toEqual([
      { Id: 'm1', Label: 'AccessDenied', ReturnData: true, MetricStat: { Metric: { Namespace: 'ScopedStorage', MetricName: 'AccessDenied', Dimensions: [{ Name: 'Bucket', Value: { Ref: bucketId } }] }, Period: 300, Stat: 'Sum' } },
    ]);
  });

  it('puts the figures and every alarm on one dashboard', () => {
    const { widgets } = dashboardBody(template);
    expect(widgets.map((widget) => widget.properties.title)).toEqual([
      'Token service requests',
      'Token service 5xx and 429 rates (%)',
      'Token service function',
      'Bucket: denied requests (AccessDenied)',
      'Alarms',
    ]);
    const text = JSON.stringify(widgets);
    for (const figure of ['"5xx"', '"4xx"', '"Count"', '"TokenServiceThrottled"', '"Errors"', '"Throttles"', '"Duration"', '"AccessDenied"']) expect(text).toContain(figure);
    expect(text).toContain('IF(FILL(requests, 0) >= 20, 100 * FILL(serverErrors, 0) / requests, 0)');
    const alarmWidget = widgets.find((widget) => widget.type === 'alarm')!;
    const alarmIds = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id]) => `GETATT(${id}.Arn)`).sort();
    expect([...(alarmWidget.properties.alarms as string[])].sort()).toEqual(alarmIds);
  });
});

describe('monitoring settings', () => {
  it('takes its thresholds, period and minimum from the props', () => {
    const template = synthesize({
      auditTrail: { logFileRetentionDays: 30, cloudWatchLogsRetention: RetentionDays.ONE_WEEK },
      monitoring: { period: Duration.minutes(1), minimumRequests: 100, serverErrorRatePercent: 2.5, throttledRatePercent: 50, functionErrors: 3, functionThrottles: 7, accessDeniedThreshold: 5, dashboardName: 'storage-ops' },
    });
    const serverErrors = alarm(template, 'MonitoringServerErrorRateAlarm');
    expect(serverErrors.Threshold).toBe(2.5);
    expect(JSON.stringify(serverErrors.Metrics)).toContain('IF(FILL(requests, 0) >= 100,');
    expect(JSON.stringify(serverErrors.Metrics)).toContain('"Period":60');
    expect(alarm(template, 'MonitoringThrottledRateAlarm').Threshold).toBe(50);
    expect(alarm(template, 'MonitoringFunctionErrorsAlarm')).toMatchObject({ Threshold: 3, Period: 60 });
    expect(alarm(template, 'MonitoringFunctionThrottlesAlarm')).toMatchObject({ Threshold: 7, Period: 60 });
    expect(alarm(template, 'MonitoringAccessDeniedAlarm').Threshold).toBe(5);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'storage-ops' });
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'ExpireTrailLogFiles', ExpirationInDays: 30 })] } });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('without the AccessDenied alarm (accessDeniedThreshold: false) needs no trail and leaves its filter and widget out', () => {
    const template = synthesize({ monitoring: { accessDeniedThreshold: false } });
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.resourceCountIs('AWS::Logs::MetricFilter', 1);
    expect(dashboardBody(template).widgets.map((widget) => widget.properties.title)).not.toContain('Bucket: denied requests (AccessDenied)');
  });

  it('an audit trail without monitoring creates the trail and no alarm', () => {
    const template = synthesize({ auditTrail: true });
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });
});

describe('an existing trail and an existing topic', () => {
  it('adds exactly this bucket\'s object selector to the given trail, creates no trail or log bucket, and counts AccessDenied in the given log group', () => {
    const { template, trailId } = synthesizeWithExistingTrail({ logGroup: true });
    const [onlyTrailId, trail] = onlyResource(template, 'AWS::CloudTrail::Trail');
    expect(onlyTrailId).toBe(trailId);
    const bucketId = logicalIdStartingWith(template, 'AWS::S3::Bucket', 'StorageBucket');
    expect(trail.Properties.EventSelectors).toEqual([
      { DataResources: [{ Type: 'AWS::S3::Object', Values: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/']] }] }], IncludeManagementEvents: false, ReadWriteType: 'All' },
    ]);
    expect(resourcesOfType(template, 'AWS::S3::Bucket').map(([id]) => id).filter((id) => id.startsWith('StorageAuditTrail'))).toEqual([]);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalIdStartingWith(template, 'AWS::Logs::LogGroup', 'OrganisationTrailLogs') },
      MetricTransformations: [Match.objectLike({ MetricName: 'AccessDenied' })],
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('with an existing trail but no log group, refuses the AccessDenied alarm and says to pass the log group', () => {
    expectStorageError(() => synthesizeWithExistingTrail({ logGroup: false }), /auditTrail\.trail was given without auditTrail\.logGroup; pass the log group that trail delivers to, or set monitoring\.accessDeniedThreshold: false/);
    const { template } = synthesizeWithExistingTrail({ logGroup: false, monitoring: { accessDeniedThreshold: false } });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
  });

  it('notifies a given topic: every alarm acts on it, its email subscriptions go to it, and no topic or key is created', () => {
    const app = new App({ context: NO_BUNDLING });
    const topic = Topic.fromTopicArn(new Stack(app, 'Shared'), 'OpsAlarms', EXISTING_TOPIC_ARN);
    const { stack } = buildStack({ app, nagChecks: false, allowedOrigins: ALLOWED_ORIGINS, auditTrail: true, monitoring: { topic, emailSubscriptions: ['ops@example.com'] } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(5);
    for (const [, resource] of alarms) expect(resource.Properties).toMatchObject({ AlarmActions: [EXISTING_TOPIC_ARN], OKActions: [EXISTING_TOPIC_ARN] });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: EXISTING_TOPIC_ARN });
  });
});

describe('invalid props fail synthesis with a message naming the prop', () => {
  const cases: Array<[string, Partial<BuildStackOptions>, RegExp]> = [
    ['monitoring without a trail', { monitoring: true }, /monitoring: the AccessDenied alarm counts denied S3 requests in the audit trail's CloudTrail data events, but auditTrail is not set; set auditTrail: true/],
    ['a period that is not whole minutes', { auditTrail: true, monitoring: { period: Duration.seconds(90) } }, /monitoring\.period must be whole minutes from 1 to 60 \(got 1 minute 30 seconds\)/],
    ['a period over an hour', { auditTrail: true, monitoring: { period: Duration.hours(2) } }, /monitoring\.period must be whole minutes from 1 to 60/],
    ['a zero minimum', { auditTrail: true, monitoring: { minimumRequests: 0 } }, /monitoring\.minimumRequests must be a positive whole number \(got 0\)/],
    ['fractional function errors', { auditTrail: true, monitoring: { functionErrors: 1.5 } }, /monitoring\.functionErrors must be a positive whole number \(got 1\.5\)/],
    ['a rate over 100%', { auditTrail: true, monitoring: { serverErrorRatePercent: 150 } }, /monitoring\.serverErrorRatePercent must be a percentage above 0 and at most 100 \(got 150\)/],
    ['a zero rate', { auditTrail: true, monitoring: { throttledRatePercent: 0 } }, /monitoring\.throttledRatePercent must be a percentage/],
    ['a negative AccessDenied threshold', { auditTrail: true, monitoring: { accessDeniedThreshold: -1 } }, /monitoring\.accessDeniedThreshold must be a positive whole number, or false/],
    ['a malformed email', { auditTrail: true, monitoring: { emailSubscriptions: ['ops at example.com'] } }, /monitoring\.emailSubscriptions: "ops at example\.com" is not an email address/],
    ['a dashboard name with a space', { auditTrail: true, monitoring: { dashboardName: 'storage ops' } }, /monitoring\.dashboardName "storage ops" is invalid/],
    ['auditTrail neither true nor an object', { auditTrail: 'yes' as never }, /auditTrail must be true \(a new trail\) or \{ trail\?, logGroup\?, \.\.\. \} \(got "yes"\)/],
    ['a log group without a trail', { auditTrail: { logGroup: {} as never } }, /auditTrail\.logGroup names the log group of an existing trail/],
    ['retention settings with an existing trail', { auditTrail: { trail: new Trail(new Stack(new App(), 'Other'), 'Trail'), logFileRetentionDays: 30 } }, /auditTrail\.logFileRetentionDays applies to a new trail only/],
    ['a trail that is not a Trail', { auditTrail: { trail: { trailArn: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/x' } as never } }, /auditTrail\.trail must be a cloudtrail\.Trail defined in this CDK app/],
    ['log file retention of zero days', { auditTrail: { logFileRetentionDays: 0 } }, /auditTrail\.logFileRetentionDays must be a whole number of days from 1 to 3650 \(got 0\)/],
  ];
  for (const [name, options, message] of cases) {
    it(name, () => expectStorageError(() => synthesize(options), message));
  }
});

describe('cdk synth/deploy context', () => {
  function synthesizeWithContext(context: Record<string, unknown>): Template {
    const { stack } = buildStack({ app: new App({ context: { ...NO_BUNDLING, ...context } }), nagChecks: false, allowedOrigins: ALLOWED_ORIGINS });
    return Template.fromStack(stack);
  }

  it('-c auditTrail=true -c monitoring=true turns both on; -c alarmEmails subscribes each address', () => {
    const template = synthesizeWithContext({ auditTrail: 'true', monitoring: 'true', alarmEmails: 'ops@example.com, oncall@example.com' });
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    expect(resourcesOfType(template, 'AWS::SNS::Subscription').map(([, subscription]) => subscription.Properties.Endpoint)).toEqual(['ops@example.com', 'oncall@example.com']);
  });

  it('cdk.json booleans work, false leaves both off, and anything else is refused', () => {
    const off = synthesizeWithContext({ auditTrail: false, monitoring: 'false' });
    off.resourceCountIs('AWS::CloudTrail::Trail', 0);
    off.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    synthesizeWithContext({ auditTrail: true, monitoring: true }).resourceCountIs('AWS::CloudWatch::Alarm', 5);
    expectStorageError(() => synthesizeWithContext({ monitoring: 'yes' }), /monitoring must be true or false \(got "yes"\): pass -c monitoring=true/);
    expectStorageError(() => synthesizeWithContext({ auditTrail: 'on' }), /auditTrail must be true or false \(got "on"\)/);
  });

  it('-c monitoring=true without -c auditTrail=true says the AccessDenied alarm needs the trail', () => {
    expectStorageError(() => synthesizeWithContext({ monitoring: 'true' }), /but auditTrail is not set; set auditTrail: true/);
  });

  it('-c accessDeniedThreshold=false monitors without the trail; a number sets the threshold', () => {
    synthesizeWithContext({ monitoring: 'true', accessDeniedThreshold: 'false' }).resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const custom = synthesizeWithContext({ monitoring: 'true', auditTrail: 'true', accessDeniedThreshold: '7' });
    expect(resourcesOfType(custom, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.Threshold)).toContain(7);
    expectStorageError(() => synthesizeWithContext({ monitoring: 'true', accessDeniedThreshold: 'many' }), /accessDeniedThreshold must be a positive whole number/);
  });

  it('-c monitoring=false beside -c alarmEmails or -c accessDeniedThreshold is refused, not overridden', () => {
    expectStorageError(() => synthesizeWithContext({ monitoring: 'false', auditTrail: 'true', alarmEmails: 'a@example.com' }), /monitoring is false, but alarmEmails is set/);
    expectStorageError(() => synthesizeWithContext({ monitoring: 'false', accessDeniedThreshold: 'false' }), /monitoring is false, but accessDeniedThreshold is set/);
  });

  it('the same address twice (in any case) is refused', () => {
    expectStorageError(() => synthesizeWithContext({ monitoring: 'true', auditTrail: 'true', alarmEmails: 'A@Example.com,a@example.com' }), /"a@example.com" is listed twice/);
  });

  it('a misspelt switch is a warning naming the closest one, not silence', () => {
    const { stack } = buildStack({ app: new App({ context: { ...NO_BUNDLING, monitorng: 'true' } }), nagChecks: false, allowedOrigins: ALLOWED_ORIGINS });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Unknown context'));
    expect(warnings.map((warning) => String(warning.entry.data))).toEqual([expect.stringContaining('"-c monitorng": this stack reads allowedOrigins, allowGuests, auditTrail, monitoring, alarmEmails, accessDeniedThreshold, delivery, deliveryKeySlots, deliveryActiveKey, requireEncryptionHeader (did you mean monitoring?)')]);
  });
});
