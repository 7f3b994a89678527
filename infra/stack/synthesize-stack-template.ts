import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildStack, DEFAULT_LOCAL_ORIGIN, type BuildStackOptions } from './build-stack.ts';

export interface SynthesizedTemplate {
  stackName: string;
  template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Outputs?: Record<string, { Value: unknown }> };
}

/**
 * Synthesizes the stack in-process, exactly as `cdk synth` would, so the local cloud runs what
 * would be deployed: editing an access rule changes local behaviour on the next start.
 */
export function synthesizeStackTemplate(outputDirectory: string, options: Omit<BuildStackOptions, 'app'> = {}): SynthesizedTemplate {
  // The local cloud runs the token service from source, so the Lambda bundle is not built here.
  // aws-cdk-lib's built-in CloudFormation validation loads a WASM engine that costs every local
  // start about 210 MB and 1.3 s; `cdk synth`/`deploy` still run it, and the tests run cfn-lint.
  const app = new App({ outdir: outputDirectory, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  // A deployment must name its origins; locally the page's own origin is the sensible default.
  const { stack } = buildStack({ nagChecks: false, ...options, allowedOrigins: options.allowedOrigins ?? [DEFAULT_LOCAL_ORIGIN], app });
  const assembly = app.synth();
  const template = JSON.parse(readFileSync(join(assembly.directory, `${stack.artifactId}.template.json`), 'utf8')) as SynthesizedTemplate['template'];
  return { stackName: stack.stackName, template };
}
