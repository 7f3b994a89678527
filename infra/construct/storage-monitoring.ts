import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IAlarm,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Subscription, SubscriptionProtocol, Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { StorageAuditTrail } from './storage-audit-trail.ts';
import type { TokenServiceApi } from './token-service-api.ts';
import { MONITORING_DEFAULTS, MONITORING_METRIC_NAMESPACE, type StorageMonitoringOptions } from './storage-monitoring-options.ts';
import { validateMonitoringOptions } from './validate-monitoring-options.ts';

export interface StorageMonitoringProps extends StorageMonitoringOptions {
  readonly bucket: IBucket;
  readonly tokenService: TokenServiceApi;
  /** The storage's audit trail (ScopedStorage's `auditTrail`); its CloudWatch Logs group feeds the AccessDenied alarm. */
  readonly auditTrail?: StorageAuditTrail;
}

/**
 * What an operator watches while the storage runs: the token service's 5xx and 429 rates, its
 * function's errors and throttles, and denied S3 requests on the bucket, each an alarm that
 * notifies one SNS topic, all on one dashboard.
 */
export class StorageMonitoring extends Construct {
  readonly topic: ITopic;
  readonly dashboard: Dashboard;
  readonly serverErrorRateAlarm: Alarm;
  readonly throttledRateAlarm: Alarm;
  readonly functionErrorsAlarm: Alarm;
  readonly functionThrottlesAlarm: Alarm;
  readonly accessDeniedAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: StorageMonitoringProps) {
    super(scope, id);
    validateMonitoringOptions(props, props.auditTrail);
    const auditLogGroup = props.auditTrail?.logGroup;
    const period = props.period ?? Duration.minutes(MONITORING_DEFAULTS.periodMinutes);
    const minimumRequests = props.minimumRequests ?? MONITORING_DEFAULTS.minimumRequests;
    const { api, function: tokenFunction } = props.tokenService;

    this.topic = props.topic ?? this.encryptedTopic();
    // Created here, not with topic.addSubscription, which puts them in the topic's own scope: a
    // given topic may belong to another stack, and these subscriptions belong to this one.
    (props.emailSubscriptions ?? []).forEach((email, index) => {
      new Subscription(this, `EmailSubscription${index + 1}`, { topic: this.topic, protocol: SubscriptionProtocol.EMAIL, endpoint: email });
    });
    const notify = new SnsAction(this.topic);

    const requests = api.metricCount({ statistic: 'Sum', period, label: 'Requests' });
    const serverErrors = api.metricServerError({ period, label: '5xx' });
    const clientErrors = api.metricClientError({ period, label: '4xx' });
    // API Gateway publishes 4xx as one figure; 429s are counted from the API's access log, which
    // sees both the stage's throttling (never reaching the function) and the function's per-user limit.
    new MetricFilter(this, 'ThrottledRequestsFilter', {
      logGroup: props.tokenService.accessLogGroup,
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: MONITORING_METRIC_NAMESPACE,
      metricName: 'TokenServiceThrottled',
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    const throttled = new Metric({ namespace: MONITORING_METRIC_NAMESPACE, metricName: 'TokenServiceThrottled', dimensionsMap: { ApiId: api.apiId }, statistic: 'Sum', period, label: '429' });

    const serverErrorRate = requestRate('5xx rate (%)', 'serverErrors', serverErrors, requests, minimumRequests, period);
    const throttledRate = requestRate('429 rate (%)', 'throttled', throttled, requests, minimumRequests, period);
    const alarms: IAlarm[] = [];
    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string): Alarm => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No requests, no invocations or no denied request in a period is the healthy case, not a gap.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      alarms.push(created);
      return created;
    };

    const serverErrorRatePercent = props.serverErrorRatePercent ?? MONITORING_DEFAULTS.serverErrorRatePercent;
    this.serverErrorRateAlarm = alarm('ServerErrorRateAlarm', serverErrorRate, serverErrorRatePercent,
      `Token service: ${serverErrorRatePercent}% or more of requests answered 5xx in ${period.toMinutes()} min (with at least ${minimumRequests} requests). Clients cannot get credentials; see the function's log lines with level "error" and their code.`);
    const throttledRatePercent = props.throttledRatePercent ?? MONITORING_DEFAULTS.throttledRatePercent;
    this.throttledRateAlarm = alarm('ThrottledRateAlarm', throttledRate, throttledRatePercent,
      `Token service: ${throttledRatePercent}% or more of requests answered 429 in ${period.toMinutes()} min (with at least ${minimumRequests} requests). Callers are over the stage's rate limit or one user is over the per-user limit; see the access log and the function's rate_limited lines.`);
    const functionErrors = props.functionErrors ?? MONITORING_DEFAULTS.functionErrors;
    this.functionErrorsAlarm = alarm('FunctionErrorsAlarm', tokenFunction.metricErrors({ period, statistic: 'Sum' }), functionErrors,
      `Token service function: ${functionErrors} or more failed invocations (crash or timeout) in ${period.toMinutes()} min.`);
    const functionThrottles = props.functionThrottles ?? MONITORING_DEFAULTS.functionThrottles;
    this.functionThrottlesAlarm = alarm('FunctionThrottlesAlarm', tokenFunction.metricThrottles({ period, statistic: 'Sum' }), functionThrottles,
      `Token service function: ${functionThrottles} or more throttled invocations in ${period.toMinutes()} min (Lambda's concurrency limit).`);

    let accessDenied: Metric | undefined;
    const accessDeniedThreshold = props.accessDeniedThreshold ?? MONITORING_DEFAULTS.accessDeniedThreshold;
    if (accessDeniedThreshold !== false && auditLogGroup) {
      // CloudTrail data events name the exact error, so only AccessDenied counts; S3's request
      // metric 4xxErrors would also count every 404 and 412, which normal clients cause.
      new MetricFilter(this, 'AccessDeniedFilter', {
        logGroup: auditLogGroup,
        filterPattern: FilterPattern.all(
          FilterPattern.stringValue('$.eventSource', '=', 's3.amazonaws.com'),
          FilterPattern.stringValue('$.errorCode', '=', 'AccessDenied'),
          FilterPattern.stringValue('$.requestParameters.bucketName', '=', props.bucket.bucketName),
        ),
        metricNamespace: MONITORING_METRIC_NAMESPACE,
        metricName: 'AccessDenied',
        metricValue: '1',
        dimensions: { Bucket: '$.requestParameters.bucketName' },
      });
      accessDenied = new Metric({ namespace: MONITORING_METRIC_NAMESPACE, metricName: 'AccessDenied', dimensionsMap: { Bucket: props.bucket.bucketName }, statistic: 'Sum', period, label: 'AccessDenied' });
      this.accessDeniedAlarm = alarm('AccessDeniedAlarm', accessDenied, accessDeniedThreshold,
        `Bucket: ${accessDeniedThreshold} or more S3 requests denied (AccessDenied) in ${period.toMinutes()} min. Someone is trying keys outside their prefixes, or a client or rule change broke access; the trail's events name the role session of each.`);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [
          new GraphWidget({ title: 'Token service requests', left: [requests, clientErrors, serverErrors, throttled], width: 12 }),
          new GraphWidget({ title: 'Token service 5xx and 429 rates (%)', left: [serverErrorRate, throttledRate], width: 12 }),
        ],
        [
          new GraphWidget({ title: 'Token service function', left: [tokenFunction.metricErrors({ period, statistic: 'Sum', label: 'Errors' }), tokenFunction.metricThrottles({ period, statistic: 'Sum', label: 'Throttles' })], right: [tokenFunction.metricDuration({ period, statistic: 'p99', label: 'Duration p99' })], width: 12 }),
          ...(accessDenied ? [new GraphWidget({ title: 'Bucket: denied requests (AccessDenied)', left: [accessDenied], width: 12 })] : []),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
  }

  /**
   * SNS2 asks for encryption; CloudWatch cannot publish to a topic under the AWS managed SNS key,
   * so the topic gets its own key whose policy lets CloudWatch of this account use it.
   */
  private encryptedTopic(): Topic {
    const account = Stack.of(this).account;
    const key = new Key(this, 'AlarmTopicKey', { enableKeyRotation: true, description: 'Encrypts the storage alarms topic; CloudWatch alarms of this account may use it.' });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'Scoped storage alarms', masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    return topic;
  }
}

/** Percentage of requests, 0 below `minimumRequests` so a quiet period cannot alarm on one failure. */
function requestRate(label: string, failuresId: string, failures: IMetric, requests: IMetric, minimumRequests: number, period: Duration): MathExpression {
  return new MathExpression({
    expression: `IF(FILL(requests, 0) >= ${minimumRequests}, 100 * FILL(${failuresId}, 0) / requests, 0)`,
    usingMetrics: { [failuresId]: failures, requests },
    label,
    period,
  });
}
