import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { synthesizeStackTemplate } from '../../../infra/stack/synthesize-stack-template.ts';

const run = promisify(execFile);

/**
 * W3005 (a DependsOn the GetAtt already implies) is left out: aws-cdk-lib's Lambda Function always
 * adds a construct dependency on its role, which cannot be removed without overriding CDK's output.
 */
const IGNORED_CHECKS = 'W3005';

async function lint(options: Parameters<typeof synthesizeStackTemplate>[1]): Promise<{ code: number; output: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  const { template } = synthesizeStackTemplate(join(directory, 'cdk.out'), options);
  const file = join(directory, 'template.json');
  writeFileSync(file, JSON.stringify(template));
  return run('cfn-lint', ['--ignore-checks', IGNORED_CHECKS, '--', file]).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }),
  );
}

describe('cfn-lint on the synthesized template', () => {
  it('finds nothing in the default stack (with the locations and guestsAllowed outputs)', async () => {
    expect(await lint({})).toEqual({ code: 0, output: '' });
  }, 60_000);

  it('finds nothing with the audit trail and monitoring on (trail, log bucket, topic, key, alarms, metric filters, dashboard)', async () => {
    expect(await lint({ auditTrail: true, monitoring: { emailSubscriptions: ['ops@example.com'] } })).toEqual({ code: 0, output: '' });
  }, 60_000);

  it('finds nothing with guests allowed (guest role, public location)', async () => {
    expect(await lint({ allowGuests: true })).toEqual({ code: 0, output: '' });
  }, 60_000);
});
