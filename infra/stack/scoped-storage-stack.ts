import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ScopedStorage, type ScopedStorageProps } from '../construct/index.ts';
import { TokenServiceApi, type TokenServiceApiProps } from '../construct/token-service-api.ts';

export type ScopedStorageStackProps = StackProps &
  ScopedStorageProps & {
    /**
     * Settings of the token service deployed beside the storage.
     * @default HMAC-verified app sessions with a generated secret, 900-second tokens
     */
    readonly tokenService?: Omit<TokenServiceApiProps, 'identityPoolId' | 'developerProviderName' | 'allowedOrigins'>;
  };

/**
 * The deployable stack: the storage construct plus the outputs the client reads. Output keys
 * are the same ones the local cloud writes to `.local/outputs.json`.
 */
export class ScopedStorageStack extends Stack {
  readonly storage: ScopedStorage;
  readonly tokenService: TokenServiceApi;

  constructor(scope: Construct, id: string, props: ScopedStorageStackProps) {
    super(scope, id, props);
    this.storage = new ScopedStorage(this, 'Storage', props);
    this.tokenService = new TokenServiceApi(this, 'TokenService', {
      ...props.tokenService,
      identityPoolId: this.storage.identityPoolId,
      developerProviderName: this.storage.developerProviderName,
      allowedOrigins: props.allowedOrigins,
    });

    new CfnOutput(this, 'region', { value: this.region, description: 'Region of the bucket and the identity pool.' });
    new CfnOutput(this, 'bucket', { value: this.storage.bucket.bucketName, description: 'Bucket the clients read and write.' });
    new CfnOutput(this, 'identityPoolId', { value: this.storage.identityPoolId, description: 'Cognito identity pool id.' });
    new CfnOutput(this, 'developerProviderName', { value: this.storage.developerProviderName, description: 'Developer provider name the token service uses.' });
    new CfnOutput(this, 'tokenServiceUrl', { value: this.tokenService.url, description: 'Base URL of the token service.' });
  }
}
