import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMainJobFixture, type MainJobFixture } from '../integration/client/main-job-fixture.ts';
import { BARE_S3_CLIENT_ENTRY, bundleForBrowser, clientBrowserEntry } from './browser-bundle-size.ts';

/**
 * The package as a user gets it: `npm pack` of a fresh build, installed from the tarball into a
 * new project under the system's temporary folder (outside the repository, so Node cannot reach
 * the repository's node_modules), where scripts import it by its name only.
 */
const run = promisify(execFile);
const repository = fileURLToPath(new URL('../../', import.meta.url));
const consumerSources = fileURLToPath(new URL('./consumer/', import.meta.url));
const packageJson = JSON.parse(await readFile(join(repository, 'package.json'), 'utf8')) as { name: string; devDependencies: Record<string, string> };
const ENTRY_POINTS = ['client', 'client/node', 'cdk', 'token-service'];
/** A client bundle at most this many gzipped bytes; it is about 130 KB, most of it the AWS SDK. */
const MAX_CLIENT_GZIP_BYTES = 200 * 1024;

/** The consumer's scripts run with nothing of this process's module setup (no tsx loader, no NODE_PATH). */
function consumerEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, NODE_PATH: _path, ...environment } = process.env;
  return { ...environment, ...extra };
}

async function runInProject(project: string, command: string, args: string[], extra: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(command, args, { cwd: project, env: consumerEnvironment(extra), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('the installed package', () => {
  let project: string;
  let installed: string;
  let packedFiles: string[];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    let started = Date.now();
    project = await mkdtemp(join(tmpdir(), 'scoped-s3-storage-consumer-'));
    // No dist/ in a fresh clone: build it, as `npm pack` does through prepack.
    await run('npm', ['run', 'build'], { cwd: repository, env: consumerEnvironment() });
    timings.build = Date.now() - started;
    started = Date.now();
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: repository, env: consumerEnvironment() });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packedFiles = packed!.files.map((file) => file.path);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const devVersion = (name: string) => `${name}@${packageJson.devDependencies[name]}`;
    await runInProject(project, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed!.filename}`, devVersion('aws-cdk-lib'), devVersion('constructs'), devVersion('@types/node')]);
    timings.packAndInstall = Date.now() - started;
    installed = join(project, 'node_modules', packageJson.name);
    for (const file of await readdir(consumerSources)) await copyFile(join(consumerSources, file), join(project, file));
  }, 240_000);

  afterAll(async () => {
    process.stderr.write(`packaging test: build ${timings.build} ms, pack and install ${timings.packAndInstall} ms\n`);
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('ships the built entry points and nothing of the source tree, with no path into the repository', async () => {
    expect(packedFiles.filter((file) => !file.startsWith('dist/')).sort()).toEqual(['README.md', 'package.json']);
    expect(packedFiles.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toBe(false);
    for (const entry of ENTRY_POINTS) {
      const resolved = await runInProject(project, process.execPath, ['--input-type=module', '-e', `process.stdout.write(import.meta.resolve('${packageJson.name}/${entry}'))`]);
      expect(fileURLToPath(resolved).startsWith(`${installed}/dist/`), `${entry} resolves to ${resolved}`).toBe(true);
    }
    const leaking: string[] = [];
    for (const file of await filesUnder(installed)) {
      if ((await readFile(file, 'utf8')).includes(repository.replace(/\/$/, ''))) leaking.push(relative(installed, file));
    }
    expect(leaking).toEqual([]);
  });

  it('installs the CLI as the scoped-storage command', async () => {
    const help = await runInProject(project, join(project, 'node_modules', '.bin', 'scoped-storage'), ['--help']);
    expect(help).toContain('upload');
    expect(help).toContain('--outputs');
  });

  describe('against the local cloud', () => {
    let fixture: MainJobFixture;
    beforeAll(async () => {
      fixture = await startMainJobFixture();
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('a Node script uploads and downloads through scoped-s3-storage/client and /client/node', async () => {
      const output = await runInProject(project, process.execPath, ['upload-and-download.mjs'], {
        OUTPUTS_PATH: fixture.outputsPath,
        SESSION_TOKEN: await fixture.sessionFor('packaged-alice'),
        WORK_DIRECTORY: project,
      });
      const result = JSON.parse(output) as Record<string, string>;
      expect(result.resolvedClient).toBe(`file://${installed}/dist/app/library/index.js`);
      expect(result.resolvedNodeClient).toBe(`file://${installed}/dist/app/library/node/index.js`);
      expect(result.uploadedKey).toBe('packaged/hello.txt');
      expect(result.downloadedText).toBe('hello from the installed package');
      expect(result.fileText).toBe('hello from the installed package');
      expect(result.missingObject).toBe('NotFound');
      expect(result.identityPrefix).toMatch(/^users\/[^/]+\/$/);
    });
  });

  it('a backend mounts the token service app from scoped-s3-storage/token-service', async () => {
    const result = JSON.parse(await runInProject(project, process.execPath, ['mount-token-service.mjs'])) as {
      resolved: string;
      health: { status: number; body: unknown };
      token: { status: number; body: { error: { code: string } } };
      lambdaHandler: string;
    };
    expect(result.resolved).toBe(`file://${installed}/dist/token-service/index.js`);
    expect(result.health).toEqual({ status: 200, body: { status: 'ok' } });
    expect(result.token.status).toBe(401);
    expect(result.token.body.error.code).toBe('unauthenticated');
    expect(result.lambdaHandler).toBe('function');
  });

  it('esbuild bundles scoped-s3-storage/client for a browser without Node modules; reports its size next to the bare S3 client', async () => {
    const client = await bundleForBrowser(clientBrowserEntry(`${packageJson.name}/client`), project);
    const bareS3 = await bundleForBrowser(BARE_S3_CLIENT_ENTRY, repository);
    process.stderr.write(
      `browser bundle of ${packageJson.name}/client: ${client.bytes} bytes minified, ${client.gzipBytes} gzipped; ` +
        `bare S3Client + PutObjectCommand: ${bareS3.bytes} minified, ${bareS3.gzipBytes} gzipped\n`,
    );
    expect(client.unresolvedImports).toEqual([]);
    expect(client.nodeBuiltins).toEqual([]);
    expect(client.text).toContain('cognito-identity.amazonaws.com');
    expect(client.gzipBytes).toBeLessThan(MAX_CLIENT_GZIP_BYTES);
    expect(client.gzipBytes).toBeGreaterThan(bareS3.gzipBytes);
  });

  it('a CDK app synthesizes ScopedStorage and the token service from scoped-s3-storage/cdk, with the prebuilt Lambda bundle', async () => {
    const outdir = join(project, 'cdk.out');
    const result = JSON.parse(await runInProject(project, process.execPath, ['cdk-app.mjs', outdir])) as {
      resolved: string;
      resourceTypes: string[];
      functions: Array<{ handler: string; runtime: string; code: { S3Key: string } }>;
    };
    expect(result.resolved).toBe(`file://${installed}/dist/infra/construct/index.js`);
    expect(result.resourceTypes).toEqual(expect.arrayContaining(['AWS::S3::Bucket', 'AWS::Cognito::IdentityPool', 'AWS::Cognito::IdentityPoolRoleAttachment', 'AWS::Lambda::Function', 'AWS::ApiGatewayV2::Api']));
    const tokenService = result.functions.filter((fn) => fn.runtime === 'nodejs24.x');
    expect(tokenService).toHaveLength(1);
    expect(tokenService[0]!.handler).toBe('index.handler');
    // The asset is the prebuilt folder as shipped, staged under its hash.
    const assetFiles = await readdir(join(outdir, `asset.${tokenService[0]!.code.S3Key.replace(/\.zip$/, '')}`));
    expect(assetFiles.sort()).toEqual(['index.mjs', 'index.mjs.map']);
  });

  it('a CDK app synthesizes ScopedStorage with delivery offline, with the prebuilt key pair and token service bundles', async () => {
    const outdir = join(project, 'cdk.out.delivery');
    const result = JSON.parse(await runInProject(project, process.execPath, ['cdk-app-delivery.mjs', outdir])) as {
      resourceTypes: string[];
      functions: Array<{ handler: string; runtime: string; code: { S3Key: string }; description?: string }>;
    };
    expect(result.resourceTypes).toEqual(expect.arrayContaining(['AWS::CloudFront::Distribution', 'AWS::CloudFront::KeyGroup', 'AWS::CloudFront::PublicKey', 'Custom::CloudFrontKeyPair']));
    const keyPair = result.functions.filter((fn) => fn.description?.startsWith('Creates the CloudFront key pairs'));
    expect(keyPair).toHaveLength(1);
    expect(keyPair[0]!.handler).toBe('index.handler');
    expect(await readdir(join(outdir, `asset.${keyPair[0]!.code.S3Key.replace(/\.zip$/, '')}`))).toEqual(['index.mjs']);
    const bundled = await readFile(join(installed, 'dist/cdn-key-pair-lambda/index.mjs'), 'utf8');
    expect(bundled).toMatch(/["']@aws-sdk\/client-secrets-manager["']/);
    const tokenService = result.functions.filter((fn) => fn.handler === 'index.handler' && fn !== keyPair[0] && fn.runtime === 'nodejs24.x');
    expect(tokenService).toHaveLength(1);
    const tokenServiceFiles = await readdir(join(outdir, `asset.${tokenService[0]!.code.S3Key.replace(/\.zip$/, '')}`));
    expect(tokenServiceFiles.sort()).toEqual(['index.mjs', 'index.mjs.map']);
    // The signer is in the token service's bundle: the Lambda runtime's SDK may not carry it.
    expect(await readFile(join(installed, 'dist/token-service-lambda/index.mjs'), 'utf8')).not.toMatch(/["']@aws-sdk\/cloudfront-signer["']/);
  });

  it('the declarations type-check a TypeScript consumer of every entry point', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['typed-imports.ts'] }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const failure = await runInProject(project, process.execPath, [tsc, '-p', 'tsconfig.json']).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(failure).toBe('');
  });
});
