// Runs in a fresh project that installed the packed tarball and aws-cdk-lib: a CDK app using the construct.
import { App, Stack } from 'aws-cdk-lib';
import { DEFAULT_ACCESS_RULES, ScopedStorage, TokenServiceApi } from 'scoped-s3-storage/cdk';

const allowedOrigins = ['https://app.example.com'];
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ConsumerStack');
const storage = new ScopedStorage(stack, 'Storage', { allowedOrigins, developerProviderName: 'login.example.app', accessRules: DEFAULT_ACCESS_RULES });
new TokenServiceApi(stack, 'TokenService', { identityPoolId: storage.identityPoolId, developerProviderName: storage.developerProviderName, allowedOrigins });
const template = app.synth().getStackByName('ConsumerStack').template;

const resources = Object.values(template.Resources);
process.stdout.write(
  JSON.stringify({
    resolved: import.meta.resolve('scoped-s3-storage/cdk'),
    resourceTypes: [...new Set(resources.map((resource) => resource.Type))].sort(),
    functions: resources.filter((resource) => resource.Type === 'AWS::Lambda::Function').map((resource) => ({ handler: resource.Properties.Handler, runtime: resource.Properties.Runtime, code: resource.Properties.Code })),
  }),
);
