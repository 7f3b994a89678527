import { App, Stack, Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStack } from '../../../infra/stack/build-stack.ts';

function synthesizeWithNag(configure?: (app: App, stack: ReturnType<typeof buildStack>['stack']) => void, props: Parameters<typeof buildStack>[0] = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'nag-')) });
  const { stack } = buildStack({ allowedOrigins: ['https://app.example.com'], ...props, app, nagChecks: false });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  configure?.(app, stack);
  const assembly = app.synth();
  return JSON.parse(readFileSync(join(assembly.directory, `${stack.artifactId}.template.json`), 'utf8')) as { Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: Array<{ id: string; reason: string }> } } }> };
}

describe('cdk-nag AwsSolutions checks', () => {
  it('finds no unacknowledged error in the default stack', () => {
    expect(() => synthesizeWithNag()).not.toThrow();
  });

  it('finds no unacknowledged error with guests, a tenant rule and every option on', () => {
    expect(() =>
      synthesizeWithNag(undefined, {
        allowGuests: true,
        versioned: true,
        accessRules: [
          { prefix: 'users/{identityId}/', grants: { owner: ['read', 'write', 'delete', 'list'], guestOwner: ['read', 'write'] } },
          { prefix: 'public/', grants: { guests: ['read', 'list'], authenticated: ['read', 'list'] } },
          { prefix: 'tenants/{tag:tenant}/', grants: { tenantMembers: ['read', 'write'] } },
        ],
      }),
    ).not.toThrow();
  });

  it('is really checking: an extra bucket without TLS enforcement fails synthesis', () => {
    expect(() => synthesizeWithNag((_app, stack) => void new Bucket(stack, 'Careless'))).toThrow(/AwsSolutions-S10/);
  });

  it('acknowledges each finding with its own specific reason', () => {
    const template = synthesizeWithNag();
    const acknowledged = Object.values(template.Resources).flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    const ids = acknowledged.map((rule) => rule.id).sort();
    expect(ids).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/protected/*/*]',
      'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/protected/<cognito-identity.amazonaws.com:sub>/*]',
      'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/shared/*]',
      'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/tenants/<aws:PrincipalTag/tenant>/*]',
      'AwsSolutions-IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/users/<cognito-identity.amazonaws.com:sub>/*]',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
    ]);
    for (const rule of acknowledged) expect(rule.reason.length).toBeGreaterThan(40);
    const protectedReason = acknowledged.find((rule) => rule.id.endsWith('/protected/*/*]'))!.reason;
    expect(protectedReason).toContain('whole identity segment');
  });

  it('finds no unacknowledged error with the audit trail and monitoring on, and acknowledges only the trail log bucket\'s access logs', () => {
    const template = synthesizeWithNag(undefined, { auditTrail: true, monitoring: { emailSubscriptions: ['ops@example.com'] } });
    const added = Object.entries(template.Resources)
      .filter(([id]) => id.startsWith('StorageAuditTrail') || id.startsWith('Monitoring'))
      .flatMap(([id, resource]) => (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((rule) => ({ resource: id, ...rule })));
    expect(added.map((rule) => [rule.resource.replace(/[0-9A-F]{8}$/, ''), rule.id])).toEqual([['StorageAuditTrailLogBucket', 'AwsSolutions-S1']]);
    expect(added[0]!.reason).toContain('log file validation');
  });

  it('finds no unacknowledged error with an existing topic and no AccessDenied alarm', () => {
    expect(() =>
      synthesizeWithNag(undefined, { monitoring: { accessDeniedThreshold: false, topic: Topic.fromTopicArn(new Stack(new App(), 'Shared'), 'Ops', 'arn:aws:sns:eu-west-1:111122223333:ops') } }),
    ).not.toThrow();
  });

  it('finds no unacknowledged error in the default stack with guests (the public location)', () => {
    expect(() => synthesizeWithNag(undefined, { allowGuests: true })).not.toThrow();
  });
});
