import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The token service's Lambda entry in the source tree, bundled with esbuild at synth time there. */
export const TOKEN_SERVICE_LAMBDA_ENTRY = fileURLToPath(new URL('../../token-service/adapters/lambda-handler.ts', import.meta.url));
/**
 * The Node.js 24 Lambda runtime provides the AWS SDK v3 clients, so the bundle leaves them out.
 * Only the clients: the runtime's SDK need not carry other packages such as
 * `@aws-sdk/cloudfront-signer`, so those are bundled.
 */
export const TOKEN_SERVICE_EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/client-*', '@smithy/*'];
/**
 * Packages' ESM builds first: a bundled CommonJS build (such as `@aws-sdk/cloudfront-signer`'s)
 * would `require()` the external `@smithy/*` modules, which an ESM bundle cannot do.
 */
export const TOKEN_SERVICE_MAIN_FIELDS: readonly string[] = ['module', 'main'];
/** esbuild's target for the bundle: the function's runtime. */
export const TOKEN_SERVICE_LAMBDA_TARGET = 'node24';
/** File name of the prebuilt bundle, and the Lambda handler naming its `handler` export. */
export const TOKEN_SERVICE_LAMBDA_FILE = 'index.mjs';
export const TOKEN_SERVICE_LAMBDA_HANDLER = 'index.handler';

/**
 * The folder holding the prebuilt bundle when this module runs from the built package:
 * `npm run build` writes `dist/token-service-lambda/index.mjs` and this module is
 * `dist/infra/construct/token-service-lambda-bundle.js`. A CDK app using the installed package
 * then synthesizes without the token service's sources or esbuild. In the source tree the folder
 * does not exist, so the repository's own synth bundles from source.
 */
export function prebuiltTokenServiceLambdaDirectory(): string | undefined {
  const directory = fileURLToPath(new URL('../../token-service-lambda/', import.meta.url));
  return existsSync(join(directory, TOKEN_SERVICE_LAMBDA_FILE)) ? directory : undefined;
}
