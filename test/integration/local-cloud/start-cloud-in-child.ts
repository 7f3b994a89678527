import { registerHooks } from 'node:module';

/**
 * Run in a child process by template-cache.test.ts: starts and stops the local cloud with the
 * options in argv[2] (JSON) and prints every module specifier naming aws-cdk-lib resolved
 * meanwhile (by `import`, `import()` or `require`), so the test sees whether a start loaded the CDK.
 */
const cdkSpecifiers: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.includes('aws-cdk-lib')) cdkSpecifiers.push(specifier);
    return nextResolve(specifier, context);
  },
});
const { startLocalCloud } = await import('../../../infra/local/local-cloud.ts');
const cloud = await startLocalCloud(JSON.parse(process.argv[2]!) as Parameters<typeof startLocalCloud>[0]);
await cloud.close();
process.stdout.write(JSON.stringify({ identityPoolId: cloud.outputs.identityPoolId, cdkSpecifiers }));
