import { Code, Function as LambdaFunction, type FunctionOptions, type Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { TOKEN_SERVICE_EXTERNAL_MODULES, TOKEN_SERVICE_LAMBDA_TARGET, TOKEN_SERVICE_MAIN_FIELDS } from './token-service-lambda-bundle.ts';

export interface BundledLambdaFunctionProps extends FunctionOptions {
  readonly runtime: Runtime;
  /** The TypeScript entry esbuild bundles when no prebuilt bundle is there (inside this repository). */
  readonly entry: string;
  /** The installed package's prebuilt bundle (`npm run build`), used as is when present. */
  readonly prebuiltDirectory: string | undefined;
  /** The prebuilt bundle's handler (`index.handler`); a fresh bundle's is `handler` in its entry. */
  readonly prebuiltHandler: string;
  readonly sourceMap: boolean;
}

/**
 * A Node Lambda of this package: the prebuilt bundle when the package was installed (no esbuild
 * needed to synthesize), else bundled from source with the settings every bundle here shares.
 */
export function bundledLambdaFunction(scope: Construct, id: string, props: BundledLambdaFunctionProps): LambdaFunction {
  const { entry, prebuiltDirectory, prebuiltHandler, sourceMap, ...options } = props;
  if (prebuiltDirectory) return new LambdaFunction(scope, id, { ...options, code: Code.fromAsset(prebuiltDirectory), handler: prebuiltHandler });
  return new NodejsFunction(scope, id, {
    ...options,
    entry,
    handler: 'handler',
    bundling: { format: OutputFormat.ESM, minify: true, sourceMap, target: TOKEN_SERVICE_LAMBDA_TARGET, externalModules: [...TOKEN_SERVICE_EXTERNAL_MODULES], mainFields: [...TOKEN_SERVICE_MAIN_FIELDS] },
  });
}
