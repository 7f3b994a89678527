import { App, Duration, Validations } from 'aws-cdk-lib';
import { Bucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildStack, type BuildStackOptions } from '../../../infra/stack/build-stack.ts';
import { synthesizeStackTemplate } from '../../../infra/stack/synthesize-stack-template.ts';

const run = promisify(execFile);

type NagTemplate = { Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: Array<{ id: string; reason: string }> } } }> };

function synthesizeWithNag(props: Partial<BuildStackOptions>): NagTemplate {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'delivery-nag-')) });
  const { stack } = buildStack({ allowedOrigins: ['https://app.example.com'], ...props, app, nagChecks: false });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  const assembly = app.synth();
  return JSON.parse(readFileSync(join(assembly.directory, `${stack.artifactId}.template.json`), 'utf8')) as NagTemplate;
}

function acknowledgedFindings(template: NagTemplate, logicalIdPrefix: string): string[] {
  return Object.entries(template.Resources)
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .flatMap(([, resource]) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? [])
    .map((rule) => rule.id)
    .sort();
}

describe('cdk-nag with delivery', () => {
  it('finds no unacknowledged error or warning with delivery, guests and requireEncryptionHeader on', () => {
    expect(() => synthesizeWithNag({ delivery: true, allowGuests: true, requireEncryptionHeader: true })).not.toThrow();
  });

  it('acknowledges only the findings that do not apply, each with its reason: default certificate (CFR4), geo restriction (CFR1), WAF (CFR2), logs not asked for (CFR3), the key secrets\' name prefix (IAM5)', () => {
    const template = synthesizeWithNag({ delivery: true });
    expect(acknowledgedFindings(template, 'StorageDeliveryDistribution')).toEqual(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4']);
    expect(acknowledgedFindings(template, 'StorageDeliveryKeyPairFunctionRoleDefaultPolicy')).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ScopedStorage/cdn-key-*]',
    ]);
    const reasons = Object.values(template.Resources).flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    for (const rule of reasons) expect(rule.reason.length).toBeGreaterThan(40);
  });

  it('does not acknowledge CFR3 when a log bucket is given', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'delivery-nag-logs-')) });
    const { stack } = buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'] });
    const logBucket = new Bucket(stack, 'CdnLogs', { objectOwnership: ObjectOwnership.OBJECT_WRITER, enforceSSL: true, serverAccessLogsPrefix: 'self/' });
    const other = buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'], stackName: 'WithCdnLogs', delivery: { logBucket, maxLinkLifetime: Duration.days(1) } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
    const assembly = app.synth();
    const template = JSON.parse(readFileSync(join(assembly.directory, `${other.stack.artifactId}.template.json`), 'utf8')) as NagTemplate;
    expect(acknowledgedFindings(template, 'StorageDeliveryDistribution')).toEqual(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR4']);
  });
});

/** As in cfn-lint.test.ts: W3005 is aws-cdk-lib's own DependsOn beside a GetAtt. */
const IGNORED_CHECKS = 'W3005';

describe('cfn-lint with delivery', () => {
  it('finds nothing with delivery (both key slots), guests and requireEncryptionHeader on', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'delivery-cfn-lint-'));
    const { template } = synthesizeStackTemplate(join(directory, 'cdk.out'), { delivery: { keySlots: ['a', 'b'], cookieDomain: 'example.com' }, allowGuests: true, requireEncryptionHeader: true });
    const file = join(directory, 'template.json');
    writeFileSync(file, JSON.stringify(template));
    const result = await run('cfn-lint', ['--ignore-checks', IGNORED_CHECKS, '--', file]).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }),
    );
    expect(result).toEqual({ code: 0, output: '' });
  }, 60_000);
});
