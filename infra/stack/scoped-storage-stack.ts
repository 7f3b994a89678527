import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ScopedStorage, ScopedStoragePropsError, type ScopedStorageProps } from '../construct/index.ts';
import { TokenServiceApi, type TokenServiceApiProps } from '../construct/token-service-api.ts';
import { StorageMonitoring } from '../construct/storage-monitoring.ts';
import type { StorageMonitoringOptions } from '../construct/storage-monitoring-options.ts';

export type ScopedStorageStackProps = StackProps &
  ScopedStorageProps & {
    /**
     * Settings of the token service deployed beside the storage.
     * @default HMAC-verified app sessions with a generated secret, 900-second tokens
     */
    readonly tokenService?: Omit<TokenServiceApiProps, 'identityPoolId' | 'developerProviderName' | 'allowedOrigins' | 'delivery'>;
    /**
     * CloudWatch alarms (token service 5xx and 429 rates, function errors and throttles, denied
     * S3 requests), an SNS topic they notify and a dashboard. `true` takes every default. The
     * AccessDenied alarm needs `auditTrail` (or `accessDeniedThreshold: false`).
     * @default no alarms, topic or dashboard
     */
    readonly monitoring?: true | StorageMonitoringOptions;
  };

/**
 * The deployable stack: the storage construct plus the outputs the client reads. Output keys
 * are the same ones the local cloud writes to `.local/outputs.json`.
 */
export class ScopedStorageStack extends Stack {
  readonly storage: ScopedStorage;
  readonly tokenService: TokenServiceApi;
  readonly monitoring?: StorageMonitoring;

  constructor(scope: Construct, id: string, props: ScopedStorageStackProps) {
    super(scope, id, props);
    this.storage = new ScopedStorage(this, 'Storage', props);
    const locations = locationsOutputValue(this.storage);
    const delivery = this.storage.delivery;
    this.tokenService = new TokenServiceApi(this, 'TokenService', {
      ...props.tokenService,
      identityPoolId: this.storage.identityPoolId,
      developerProviderName: this.storage.developerProviderName,
      allowedOrigins: props.allowedOrigins,
      ...(delivery
        ? {
            delivery: {
              cdnUrl: delivery.cdnUrl,
              keyPairId: delivery.activeKeyPairId,
              privateKeySecretArn: delivery.activePrivateKeySecretArn,
              bucketName: this.storage.bucket.bucketName,
              locationsJson: locations,
              maxLinkSeconds: delivery.maxLinkLifetime.toSeconds(),
              ...(delivery.cookieDomain === undefined ? {} : { cookieDomain: delivery.cookieDomain }),
            },
          }
        : {}),
    });
    if (props.monitoring) {
      this.monitoring = new StorageMonitoring(this, 'Monitoring', {
        ...(props.monitoring === true ? {} : props.monitoring),
        bucket: this.storage.bucket,
        tokenService: this.tokenService,
        auditTrail: this.storage.auditTrail,
      });
    }

    new CfnOutput(this, 'region', { value: this.region, description: 'Region of the bucket and the identity pool.' });
    new CfnOutput(this, 'bucket', { value: this.storage.bucket.bucketName, description: 'Bucket the clients read and write.' });
    new CfnOutput(this, 'identityPoolId', { value: this.storage.identityPoolId, description: 'Cognito identity pool id.' });
    new CfnOutput(this, 'developerProviderName', { value: this.storage.developerProviderName, description: 'Developer provider name the token service uses.' });
    new CfnOutput(this, 'tokenServiceUrl', { value: this.tokenService.url, description: 'Base URL of the token service.' });
    new CfnOutput(this, 'locations', { value: locations, description: 'The access rules as JSON: [{name, prefix, grants}] in rule order.' });
    new CfnOutput(this, 'encryptionHeaderRequired', { value: String(this.storage.encryptionHeaderRequired), description: 'Whether uploads must send x-amz-server-side-encryption ("true"/"false").' });
    if (this.storage.bucket.encryptionKey) {
      new CfnOutput(this, 'encryptionKeyArn', { value: this.storage.bucket.encryptionKey.keyArn, description: 'The KMS key the bucket encrypts with; clients name it on uploads (x-amz-server-side-encryption: aws:kms).' });
    }
    if (this.storage.delivery) {
      new CfnOutput(this, 'cdnUrl', { value: this.storage.delivery.cdnUrl, description: 'Base URL of the CloudFront distribution: <cdnUrl>/<key>.' });
    }
    new CfnOutput(this, 'guestsAllowed', { value: String(this.storage.guestsAllowed), description: 'Whether the identity pool hands out guest identities ("true"/"false").' });
  }
}

/** CloudFormation's quota for one output value, in characters; a longer one fails the deployment, not the synthesis. */
export const MAX_OUTPUT_VALUE_CHARACTERS = 4096;

function locationsOutputValue(storage: ScopedStorage): string {
  const value = JSON.stringify(storage.locations);
  if (value.length > MAX_OUTPUT_VALUE_CHARACTERS) {
    throw new ScopedStoragePropsError(
      `accessRules: the locations output would be ${value.length} characters of JSON, over CloudFormation's limit of ${MAX_OUTPUT_VALUE_CHARACTERS} for an output value; use fewer rules, shorter prefixes or shorter names.`,
    );
  }
  return value;
}
