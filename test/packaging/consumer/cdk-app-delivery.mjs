// Runs in a fresh project that installed the packed tarball and aws-cdk-lib: a CDK app using the construct with delivery on.
import { App, Stack } from 'aws-cdk-lib';
import { DEFAULT_ACCESS_RULES, ScopedStorage, TokenServiceApi } from 'scoped-s3-storage/cdk';

const allowedOrigins = ['https://app.example.com'];
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'DeliveryConsumerStack');
const storage = new ScopedStorage(stack, 'Storage', { allowedOrigins, developerProviderName: 'login.example.app', accessRules: DEFAULT_ACCESS_RULES, delivery: true });
const { delivery } = storage;
new TokenServiceApi(stack, 'TokenService', {
  identityPoolId: storage.identityPoolId,
  developerProviderName: storage.developerProviderName,
  allowedOrigins,
  delivery: {
    cdnUrl: delivery.cdnUrl,
    keyPairId: delivery.activeKeyPairId,
    privateKeySecretArn: delivery.activePrivateKeySecretArn,
    bucketName: storage.bucket.bucketName,
    locationsJson: JSON.stringify(storage.locations),
    maxLinkSeconds: delivery.maxLinkLifetime.toSeconds(),
  },
});
const template = app.synth().getStackByName('DeliveryConsumerStack').template;

const resources = Object.values(template.Resources);
process.stdout.write(
  JSON.stringify({
    resourceTypes: [...new Set(resources.map((resource) => resource.Type))].sort(),
    functions: resources
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => ({ handler: resource.Properties.Handler, runtime: resource.Properties.Runtime, code: resource.Properties.Code, description: resource.Properties.Description })),
  }),
);
