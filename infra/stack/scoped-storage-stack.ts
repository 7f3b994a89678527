import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ScopedStorage, type ScopedStorageProps } from '../construct/index.ts';

export type ScopedStorageStackProps = StackProps & ScopedStorageProps;

/**
 * The deployable stack: the storage construct plus the outputs the client reads. Output keys
 * are the same ones the local cloud writes to `.local/outputs.json`.
 */
export class ScopedStorageStack extends Stack {
  readonly storage: ScopedStorage;

  constructor(scope: Construct, id: string, props: ScopedStorageStackProps) {
    super(scope, id, props);
    this.storage = new ScopedStorage(this, 'Storage', props);

    new CfnOutput(this, 'region', { value: this.region, description: 'Region of the bucket and the identity pool.' });
    new CfnOutput(this, 'bucket', { value: this.storage.bucket.bucketName, description: 'Bucket the clients read and write.' });
    new CfnOutput(this, 'identityPoolId', { value: this.storage.identityPoolId, description: 'Cognito identity pool id.' });
    new CfnOutput(this, 'developerProviderName', { value: this.storage.developerProviderName, description: 'Developer provider name the token service uses.' });
  }
}
