import type { RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { AccessRule } from '../access-rules/index.ts';
import type { DeliveryOptions } from './delivery-options.ts';
import type { AuditTrailOptions } from './storage-audit-trail.ts';

export interface ScopedStorageProps {
  /**
   * Origins of the web apps whose browsers talk to the bucket directly, e.g.
   * `https://app.example.com`. Scheme and host (and port) only; `http` only for localhost.
   * The bucket's CORS rules allow exactly these.
   */
  readonly allowedOrigins: readonly string[];

  /**
   * The identity pool's developer provider name: the key the token service uses in `Logins`.
   * Letters, digits, `.`, `_` and `-`, 1 to 128 characters. It cannot be changed after deployment.
   * @default 'login.scoped-storage'
   */
  readonly developerProviderName?: string;

  /**
   * Who may read, write, delete and list under which prefix. Compiled to least-privilege IAM
   * statements with policy variables.
   * Each rule is also a named location the stack publishes in its `locations` output.
   * @default defaultAccessRules({ allowGuests }): `private` (`users/{identityId}/` for its owner,
   * and for a guest owner when guests are allowed), `protected` (`protected/{identityId}/`:
   * its owner writes, every signed-in identity reads by naming the identity), `shared`
   * (`shared/`, read by every signed-in identity), `team` (`tenants/{tag:tenant}/` for the
   * tenant's members) and, when guests are allowed, `public` (`public/{identityId}/`, read by
   * guests too).
   */
  readonly accessRules?: readonly AccessRule[];

  /**
   * Whether the pool hands out guest (unauthenticated) identities. Rules granting to `guests` or
   * `guestOwner` need it.
   * @default false
   */
  readonly allowGuests?: boolean;

  /**
   * Name of the identity pool.
   * @default derived from the construct path
   */
  readonly identityPoolName?: string;

  /**
   * Customer-managed KMS key for the bucket's default encryption. The roles then get exactly
   * `kms:Decrypt` (readers) and `kms:GenerateDataKey` (writers) on this key, through S3 only.
   * @default S3-managed keys (SSE-S3)
   */
  readonly encryptionKey?: IKey;

  /**
   * Keep every version of every object.
   * @default false
   */
  readonly versioned?: boolean;

  /**
   * Days after which incomplete multipart uploads are aborted and their parts deleted.
   * @default 7
   */
  readonly abortIncompleteMultipartUploadAfterDays?: number;

  /**
   * What happens to the bucket when the stack is deleted. Users' files live there, so the
   * default keeps it; `DESTROY` only succeeds on an empty bucket.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Bucket that receives S3 server access logs.
   * @default no access logs
   */
  readonly serverAccessLogsBucket?: IBucket;

  /**
   * How long browsers may cache a CORS preflight answer, in seconds.
   * @default 3000
   */
  readonly corsMaxAgeSeconds?: number;

  /**
   * Record every object-level request on the bucket (reads, writes, deletes; allowed and denied)
   * as CloudTrail data events: `true` for a new trail with its own encrypted, TLS-only log bucket
   * (log file validation on, files expired after a year) and a CloudWatch Logs copy, or
   * `{ trail }` to add the bucket's data event selector to a trail of this CDK app. The
   * AccessDenied alarm of the stack's monitoring counts these events. Data events are billed per
   * event by CloudTrail.
   * @default no audit trail
   */
  readonly auditTrail?: true | AuditTrailOptions;

  /**
   * A CloudFront distribution in front of the bucket (origin access control, HTTPS only, GET and
   * HEAD): every location through links and cookies the token service signs with the
   * distribution's key pair, locations guests may read (`public`) also unsigned. `true` takes
   * every default. CloudFront requests and egress are billed by CloudFront.
   * @default no distribution
   */
  readonly delivery?: true | DeliveryOptions;

  /**
   * Refuse uploads (PutObject, POST Object, CreateMultipartUpload) whose request does not name
   * the server-side encryption (`x-amz-server-side-encryption`), for auditors who want every
   * write to say it. The client library then sends the header on every upload (the stack's
   * `encryptionHeaderRequired` output). Objects are encrypted by the bucket's default either way.
   * @default false
   */
  readonly requireEncryptionHeader?: boolean;
}

export const DEFAULT_DEVELOPER_PROVIDER_NAME = 'login.scoped-storage';
export const DEFAULT_ABORT_INCOMPLETE_MULTIPART_DAYS = 7;
export const DEFAULT_CORS_MAX_AGE_SECONDS = 3000;
