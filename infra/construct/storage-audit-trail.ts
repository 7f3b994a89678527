import { Duration, RemovalPolicy, Validations, type CfnElement } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { RetentionDays, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where the bucket's object-level CloudTrail data events go. */
export interface AuditTrailOptions {
  /**
   * A trail defined in this CDK app to add the bucket's data event selector to (its own
   * management events and selectors stay as they are; a trail holds at most 5 selectors).
   * @default a new trail of this bucket's data events only, with its own log bucket
   */
  readonly trail?: Trail;
  /**
   * The CloudWatch Logs group the given `trail` delivers to. The AccessDenied alarm counts the
   * trail's events there, so monitoring with an existing trail needs it. Only with `trail`: a new
   * trail has its own.
   * @default none
   */
  readonly logGroup?: ILogGroup;
  /**
   * Days the new trail's log files stay in its log bucket. Only without `trail`.
   * @default 365
   */
  readonly logFileRetentionDays?: number;
  /**
   * How long the new trail's copy in CloudWatch Logs is kept. Only without `trail`.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly cloudWatchLogsRetention?: RetentionDays;
}

export const DEFAULT_TRAIL_LOG_FILE_RETENTION_DAYS = 365;

export interface StorageAuditTrailProps extends AuditTrailOptions {
  /** The bucket whose object reads, writes and deletes are recorded. */
  readonly bucket: IBucket;
}

/**
 * CloudTrail data events for every object of one bucket (reads and writes, allowed and denied),
 * in a new trail or added to an existing one. The events name the Cognito identity's role
 * session, so a denied or unexpected access can be traced to an identity.
 */
export class StorageAuditTrail extends Construct {
  readonly trail: Trail;
  /** Where the trail's events arrive in CloudWatch Logs, when known (always for a new trail). */
  readonly logGroup?: ILogGroup;
  /** The new trail's log bucket; undefined with an existing trail. */
  readonly logBucket?: IBucket;

  constructor(scope: Construct, id: string, props: StorageAuditTrailProps) {
    super(scope, id);
    if (props.trail) {
      this.trail = props.trail;
      this.logGroup = props.logGroup;
    } else {
      const logBucket = new Bucket(this, 'LogBucket', {
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        encryption: BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        lifecycleRules: [{ id: 'ExpireTrailLogFiles', expiration: Duration.days(props.logFileRetentionDays ?? DEFAULT_TRAIL_LOG_FILE_RETENTION_DAYS) }],
        // The audit record outlives the stack, like the bucket it describes.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(logBucket.node.defaultChild as CfnElement).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'This bucket holds only CloudTrail log files, written by CloudTrail itself; log file validation (digest files) detects any change to them, and access logs of it would need yet another bucket.',
      });
      this.logBucket = logBucket;
      this.trail = new Trail(this, 'Trail', {
        bucket: logBucket,
        enableFileValidation: true,
        sendToCloudWatchLogs: true,
        cloudWatchLogsRetention: props.cloudWatchLogsRetention ?? RetentionDays.THREE_MONTHS,
        // Data events of one bucket only: management events are the account trail's job, and S3 data events are regional.
        managementEvents: ReadWriteType.NONE,
        includeGlobalServiceEvents: false,
        isMultiRegionTrail: false,
      });
      this.logGroup = this.trail.logGroup;
    }
    this.trail.addS3EventSelector([{ bucket: props.bucket }], { readWriteType: ReadWriteType.ALL, includeManagementEvents: false });
  }
}
