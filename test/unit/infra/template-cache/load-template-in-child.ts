import { registerHooks } from 'node:module';

/**
 * Run in a child process by template-cache.test.ts: loads the stack template with the options in
 * argv[2] (JSON) and prints what it got and every module specifier naming aws-cdk-lib that was
 * resolved meanwhile (by `import`, dynamic `import()` or `require`), so the test sees whether the
 * CDK was loaded.
 */
const cdkSpecifiers: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.includes('aws-cdk-lib')) cdkSpecifiers.push(specifier);
    return nextResolve(specifier, context);
  },
});
const { loadStackTemplate } = await import('../../../../infra/stack/cached-stack-template.ts');
const loaded = await loadStackTemplate(JSON.parse(process.argv[2]!) as Parameters<typeof loadStackTemplate>[0]);
process.stdout.write(JSON.stringify({ origin: loaded.origin, stackName: loaded.stackName, resourceCount: Object.keys(loaded.template.Resources).length, cdkSpecifiers }));
