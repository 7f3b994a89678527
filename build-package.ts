import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { refuseUnsupportedNode } from './app/library/node/supported-node-version.ts';
import { CDN_KEY_PAIR_LAMBDA_ENTRY, CDN_KEY_PAIR_LAMBDA_FILE } from './infra/construct/cdn-key-pair/cdn-key-pair-lambda-bundle.ts';
import { TOKEN_SERVICE_EXTERNAL_MODULES, TOKEN_SERVICE_MAIN_FIELDS, TOKEN_SERVICE_LAMBDA_ENTRY, TOKEN_SERVICE_LAMBDA_FILE, TOKEN_SERVICE_LAMBDA_TARGET } from './infra/construct/token-service-lambda-bundle.ts';

/**
 * `npm run build`: the installable package in dist/. JavaScript and declarations of the entry
 * points (tsconfig.build.json), the data files they read at run time, the Lambda bundles the
 * construct deploys (the token service, and the CDN key pair custom resource of `delivery`), and
 * the `scoped-storage` command.
 */
const root = fileURLToPath(new URL('./', import.meta.url));
const dist = `${root}dist/`;

refuseUnsupportedNode();
await rm(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });

// known-actions.ts imports these next to itself (tsc may not copy JSON it only sees as imports).
await cp(`${root}infra/policy-engine/known-actions/`, `${dist}infra/policy-engine/known-actions/`, { recursive: true });

// Same options as the construct's bundling from source (NodejsFunction), so both deploy the same code.
await build({
  entryPoints: [TOKEN_SERVICE_LAMBDA_ENTRY],
  outfile: `${dist}token-service-lambda/${TOKEN_SERVICE_LAMBDA_FILE}`,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: TOKEN_SERVICE_LAMBDA_TARGET,
  minify: true,
  sourcemap: true,
  external: [...TOKEN_SERVICE_EXTERNAL_MODULES],
  mainFields: [...TOKEN_SERVICE_MAIN_FIELDS],
  logLevel: 'warning',
});

// As CdnKeyPairFunction bundles it from source; the prebuilt folder lets an installed package synthesize `delivery` offline.
await build({
  entryPoints: [CDN_KEY_PAIR_LAMBDA_ENTRY],
  outfile: `${dist}cdn-key-pair-lambda/${CDN_KEY_PAIR_LAMBDA_FILE}`,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: TOKEN_SERVICE_LAMBDA_TARGET,
  minify: true,
  external: [...TOKEN_SERVICE_EXTERNAL_MODULES],
  mainFields: [...TOKEN_SERVICE_MAIN_FIELDS],
  logLevel: 'warning',
});

await mkdir(`${dist}bin/`, { recursive: true });
await writeFile(`${dist}bin/scoped-storage.js`, "#!/usr/bin/env node\nimport '../app/cli/main.js';\n");
await chmod(`${dist}bin/scoped-storage.js`, 0o755);

process.stdout.write(`built ${dist}\n`);
