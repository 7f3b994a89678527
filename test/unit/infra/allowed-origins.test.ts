import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { ScopedStoragePropsError } from '../../../infra/construct/index.ts';
import { synthesizeStackTemplate } from '../../../infra/stack/synthesize-stack-template.ts';
import { buildStack } from '../../../infra/stack/build-stack.ts';

const run = promisify(execFile);
/** The Lambda bundle is not what these tests are about; skipping it keeps them offline and quick. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const MISSING_ORIGINS = /allowedOrigins is not set: pass -c allowedOrigins=https:\/\/app\.example\.com/;
const outputDirectories: string[] = [];
afterAll(() => outputDirectories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'allowed-origins-'));
  outputDirectories.push(directory);
  return directory;
}

/** Runs `infra/bin/app.ts` as the CDK CLI does: context in CDK_CONTEXT_JSON (cdk.json's, plus -c values), output in CDK_OUTDIR. */
async function runCdkApp(extraContext: Record<string, unknown>): Promise<{ code: number; stderr: string; outdir: string }> {
  const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> };
  const outdir = temporaryDirectory();
  const context = { ...cdkJson.context, ...NO_BUNDLING, ...extraContext };
  return run(process.execPath, ['--import', 'tsx', 'infra/bin/app.ts'], { env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir } }).then(
    ({ stderr }) => ({ code: 0, stderr, outdir }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr, outdir }),
  );
}

describe('allowed origins of a deployment', () => {
  it('refuses to build the stack without origins, saying how to pass them', () => {
    expect(() => buildStack({ app: new App(), nagChecks: false })).toThrow(ScopedStoragePropsError);
    expect(() => buildStack({ app: new App(), nagChecks: false })).toThrow(MISSING_ORIGINS);
    expect(() => buildStack({ app: new App({ context: { allowedOrigins: '' } }), nagChecks: false })).toThrow(MISSING_ORIGINS);
  });

  it('uses the origins from -c allowedOrigins for the bucket CORS, the API CORS and the function', () => {
    const { stack } = buildStack({ app: new App({ context: { allowedOrigins: 'https://a.example.com, https://b.example.com', ...NO_BUNDLING } }), nagChecks: false });
    const template = Template.fromStack(stack);
    const origins = ['https://a.example.com', 'https://b.example.com'];
    template.hasResourceProperties('AWS::S3::Bucket', { CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: origins })] } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: origins }) });
    expect(JSON.stringify(template.toJSON())).toContain('"TOKEN_SERVICE_ALLOWED_ORIGINS":"https://a.example.com,https://b.example.com"');
  });

  it('the CDK app with cdk.json\'s context alone fails with that message and writes no template', { timeout: 60_000 }, async () => {
    const { code, stderr, outdir } = await runCdkApp({});
    expect(code).not.toBe(0);
    expect(stderr).toMatch(MISSING_ORIGINS);
    expect(readdirSync(outdir).filter((file) => file.endsWith('.template.json'))).toEqual([]);
  });

  it('the CDK app with -c allowedOrigins synthesizes a template without any localhost origin', { timeout: 60_000 }, async () => {
    const { code, stderr, outdir } = await runCdkApp({ allowedOrigins: 'https://app.example.com' });
    expect(code, stderr).toBe(0);
    const template = readFileSync(join(outdir, 'ScopedStorage.template.json'), 'utf8');
    expect(template).toContain('https://app.example.com');
    expect(template).not.toContain('localhost');
  });

  it('the local cloud\'s in-process synthesis still allows the local page origin by default', () => {
    const { template } = synthesizeStackTemplate(temporaryDirectory());
    expect(JSON.stringify(template)).toContain('"AllowedOrigins":["http://localhost:5173"]');
  });
});
