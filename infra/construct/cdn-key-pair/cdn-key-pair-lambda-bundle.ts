import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The key pair custom resource's Lambda entry in the source tree, bundled with esbuild at synth time there. */
export const CDN_KEY_PAIR_LAMBDA_ENTRY = fileURLToPath(new URL('./cdn-key-pair-handler.ts', import.meta.url));
/** File name of the prebuilt bundle, and the handler naming its `handler` export. */
export const CDN_KEY_PAIR_LAMBDA_FILE = 'index.mjs';
export const CDN_KEY_PAIR_LAMBDA_HANDLER = 'index.handler';

/**
 * The folder holding the prebuilt bundle when this module runs from the built package
 * (`dist/cdn-key-pair-lambda/index.mjs` beside `dist/infra/construct/cdn-key-pair/`), as for
 * the token service's bundle; absent in the source tree, which bundles from source.
 */
export function prebuiltCdnKeyPairLambdaDirectory(): string | undefined {
  const directory = fileURLToPath(new URL('../../../cdn-key-pair-lambda/', import.meta.url));
  return existsSync(join(directory, CDN_KEY_PAIR_LAMBDA_FILE)) ? directory : undefined;
}
