import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { CfnIdentityPool, CfnIdentityPoolRoleAttachment } from 'aws-cdk-lib/aws-cognito';
import { AnyPrincipal, Effect, FederatedPrincipal, PolicyDocument, PolicyStatement, Role, type IPrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  compileAccessRules,
  defaultAccessRules,
  describePrefix,
  publishedLocations,
  type AccessRule,
  type IamStatement,
  type PublishedLocation,
} from '../access-rules/index.ts';
import { browserCorsRules } from './browser-cors-rules.ts';
import { StorageAuditTrail } from './storage-audit-trail.ts';
import { StorageDelivery } from './storage-delivery.ts';
import {
  DEFAULT_ABORT_INCOMPLETE_MULTIPART_DAYS,
  DEFAULT_CORS_MAX_AGE_SECONDS,
  DEFAULT_DEVELOPER_PROVIDER_NAME,
  type ScopedStorageProps,
} from './scoped-storage-props.ts';
import { validateScopedStorageProps } from './validate-scoped-storage-props.ts';

const COGNITO_IDENTITY = 'cognito-identity.amazonaws.com';

/**
 * A private S3 bucket that app users read and write directly with short-lived credentials from
 * a Cognito identity pool (developer-authenticated identities), each confined by IAM policy
 * variables to the prefixes the access rules give it.
 */
export class ScopedStorage extends Construct {
  readonly bucket: IBucket;
  readonly identityPool: CfnIdentityPool;
  readonly authenticatedRole: IRole;
  readonly guestRole?: IRole;
  readonly developerProviderName: string;
  readonly accessRules: readonly AccessRule[];
  /** The rules as clients see them (name, prefix, grants), in rule order: the stack's `locations` output. */
  readonly locations: readonly PublishedLocation[];
  /** Whether the pool hands out guest identities: the stack's `guestsAllowed` output. */
  readonly guestsAllowed: boolean;
  /** The IAM statements compiled from the access rules, per role, as deployed. */
  readonly accessStatements: Readonly<Record<'authenticated' | 'guest', readonly IamStatement[]>>;
  /** The CloudTrail data events of the bucket's objects, when `auditTrail` asked for them. */
  readonly auditTrail?: StorageAuditTrail;
  /** The CloudFront distribution and its key pairs, when `delivery` asked for them. */
  readonly delivery?: StorageDelivery;
  /** Whether uploads must name their server-side encryption: the stack's `encryptionHeaderRequired` output. */
  readonly encryptionHeaderRequired: boolean;

  constructor(scope: Construct, id: string, props: ScopedStorageProps) {
    super(scope, id);
    const allowGuests = props.allowGuests ?? false;
    const accessRules = props.accessRules ?? defaultAccessRules({ allowGuests });
    validateScopedStorageProps(props, accessRules);
    this.accessRules = accessRules;
    this.locations = publishedLocations(accessRules);
    this.guestsAllowed = allowGuests;
    this.developerProviderName = props.developerProviderName ?? DEFAULT_DEVELOPER_PROVIDER_NAME;
    const usesPrincipalTags = accessRules.some((rule) => describePrefix(rule.prefix).tagKeys.length > 0);

    const bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: props.encryptionKey ? BucketEncryption.KMS : BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      versioned: props.versioned ?? false,
      cors: browserCorsRules(props.allowedOrigins, props.corsMaxAgeSeconds ?? DEFAULT_CORS_MAX_AGE_SECONDS),
      lifecycleRules: [
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteMultipartUploadAfterDays ?? DEFAULT_ABORT_INCOMPLETE_MULTIPART_DAYS),
        },
      ],
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? 'scoped-storage/' : undefined,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.bucket = bucket;
    denyForeignEncryption(bucket, props.encryptionKey?.keyArn);
    this.encryptionHeaderRequired = props.requireEncryptionHeader ?? false;
    if (this.encryptionHeaderRequired) denyUploadsWithoutEncryptionHeader(bucket);
    if (props.delivery) {
      this.delivery = new StorageDelivery(this, 'Delivery', {
        ...(props.delivery === true ? {} : props.delivery),
        bucket,
        encryptionKey: props.encryptionKey,
        locations: this.locations,
        allowedOrigins: props.allowedOrigins,
      });
    }
    if (props.auditTrail) {
      this.auditTrail = new StorageAuditTrail(this, 'AuditTrail', { ...(props.auditTrail === true ? {} : props.auditTrail), bucket });
    }

    this.identityPool = new CfnIdentityPool(this, 'IdentityPool', {
      identityPoolName: props.identityPoolName,
      allowUnauthenticatedIdentities: allowGuests,
      allowClassicFlow: false,
      developerProviderName: this.developerProviderName,
    });

    const statements = compileAccessRules(accessRules, {
      bucketArn: bucket.bucketArn,
      kmsKeyArn: props.encryptionKey?.keyArn,
      region: Stack.of(this).region,
    });
    this.accessStatements = statements;

    this.authenticatedRole = new Role(this, 'AuthenticatedRole', {
      description: 'Assumed by signed-in Cognito identities; confined to their prefixes by policy variables.',
      assumedBy: this.identityPrincipal('authenticated', usesPrincipalTags),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: { ScopedStorageAccess: toPolicyDocument(statements.authenticated) },
    });
    if (allowGuests) {
      this.guestRole = new Role(this, 'GuestRole', {
        description: 'Assumed by guest Cognito identities.',
        assumedBy: this.identityPrincipal('unauthenticated', false),
        maxSessionDuration: Duration.hours(1),
        inlinePolicies: statements.guest.length > 0 ? { ScopedStorageAccess: toPolicyDocument(statements.guest) } : undefined,
      });
    }

    this.acknowledgeNagFindings(bucket, Boolean(props.serverAccessLogsBucket));

    new CfnIdentityPoolRoleAttachment(this, 'RoleAttachment', {
      identityPoolId: this.identityPool.ref,
      roles: {
        authenticated: this.authenticatedRole.roleArn,
        ...(this.guestRole ? { unauthenticated: this.guestRole.roleArn } : {}),
      },
    });
  }

  /** The identity pool's id (`region:uuid`). */
  get identityPoolId(): string {
    return this.identityPool.ref;
  }

  /**
   * The findings cdk-nag raises on purpose here, each acknowledged with its reason: the
   * object wildcards are the point of the design (`prefix/${identity}/*` is the narrowest
   * resource that still lets an identity use its own prefix).
   */
  private acknowledgeNagFindings(bucket: Bucket, hasAccessLogs: boolean): void {
    const stack = Stack.of(this);
    const bucketLogicalId = stack.resolve(stack.getLogicalId(bucket.node.defaultChild as CfnElement)) as string;
    const roles = [[this.authenticatedRole, this.accessStatements.authenticated], [this.guestRole, this.accessStatements.guest]] as const;
    for (const [role, statements] of roles) {
      if (!role) continue;
      for (const statement of statements) {
        const resource = String(statement.Resource);
        if (!resource.endsWith('*')) continue;
        const finding = resource.replace(bucket.bucketArn, `<${bucketLogicalId}.Arn>`).replace(/\$\{([^}]+)\}/g, '<$1>');
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${finding}]`,
          reason: resource.endsWith('/*/*')
            ? 'Read-only access to every identity folder of a protected access rule, by design: write and delete there stay with each owner, and listing needs s3:prefix to hold a whole identity segment, so identity ids cannot be enumerated.'
            : 'Objects under one access-rule prefix; the prefix ends in "/" after every policy variable, so the wildcard cannot reach a neighbouring identity or tenant.',
        });
      }
    }
    if (!hasAccessLogs) {
      Validations.of(bucket.node.defaultChild as CfnElement).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'Server access logs are opt-in through the serverAccessLogsBucket prop; the bucket holds only per-identity prefixes reached through short-lived credentials.',
      });
    }
    if (this.guestRole) {
      Validations.of(this.identityPool).acknowledge({
        id: 'AwsSolutions-COG7',
        reason: 'Guest identities were asked for with allowGuests: true; the guest role gets only the grants the access rules give to guests and guestOwner.',
      });
    }
  }

  /**
   * Trust policy Cognito needs: only this pool (`aud`) and only identities of the given kind
   * (`amr`) may assume the role; `sts:TagSession` lets principal tags reach the session.
   */
  private identityPrincipal(kind: 'authenticated' | 'unauthenticated', withSessionTags: boolean): IPrincipal {
    const principal = new FederatedPrincipal(
      COGNITO_IDENTITY,
      {
        StringEquals: { [`${COGNITO_IDENTITY}:aud`]: this.identityPool.ref },
        'ForAnyValue:StringLike': { [`${COGNITO_IDENTITY}:amr`]: kind },
      },
      'sts:AssumeRoleWithWebIdentity',
    );
    return withSessionTags ? principal.withSessionTags() : principal;
  }
}

function toPolicyDocument(statements: readonly IamStatement[]): PolicyDocument {
  return new PolicyDocument({ statements: statements.map((statement) => PolicyStatement.fromJson(statement)) });
}

/**
 * Objects are always encrypted by the bucket's default; refuse writes that ask for another
 * algorithm or another KMS key than the configured one. `Null: false` makes each deny apply only
 * when the header is present, so plain uploads (which get the default) stay allowed.
 */
function denyForeignEncryption(bucket: Bucket, kmsKeyArn: string | undefined): void {
  bucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyOtherEncryption',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: {
        Null: { 's3:x-amz-server-side-encryption': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption': kmsKeyArn ? 'aws:kms' : 'AES256' },
      },
    }),
  );
  if (kmsKeyArn) {
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyOtherKmsKey',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: {
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn },
        },
      }),
    );
  }
}

/**
 * `requireEncryptionHeader`: refuse writes that do not name their encryption, in the form AWS
 * documents for it (and Amazon Macie recognises as "requires encryption"). `s3:ObjectCreationOperation`
 * cannot narrow it to the requests that can carry the header: AWS documents it false on
 * CreateMultipartUpload and UploadPart alike and true on PutObject and CompleteMultipartUpload
 * alike, so no value of it separates a request that names the encryption from one that cannot.
 * The README says what this means for multipart uploads.
 */
function denyUploadsWithoutEncryptionHeader(bucket: Bucket): void {
  bucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyUploadsWithoutEncryptionHeader',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
    }),
  );
}
