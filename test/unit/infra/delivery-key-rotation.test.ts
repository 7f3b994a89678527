import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rotationPlan, stageContextArguments } from '../../../infra/delivery-keys/rotation-plan.ts';
import { stageProblems, stageTemplateFacts } from '../../../infra/delivery-keys/verify-rotation-stage.ts';

const run = promisify(execFile);

async function rotateCdnKey(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'infra/delivery-keys/rotate-cdn-key.ts', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('the rotation plan', () => {
  it('adds the other slot, switches the signing to it, then retires the old one', () => {
    expect(rotationPlan('a', 604_800).map((stage) => [stage.name, stage.keySlots.join(','), stage.activeKeySlot])).toEqual([
      ['add', 'a,b', 'a'],
      ['switch', 'a,b', 'b'],
      ['retire', 'b', 'b'],
    ]);
    expect(rotationPlan('b', 3600).map((stage) => [stage.name, stage.keySlots.join(','), stage.activeKeySlot])).toEqual([
      ['add', 'b,a', 'b'],
      ['switch', 'b,a', 'a'],
      ['retire', 'a', 'a'],
    ]);
  });

  it('waits the longest link lifetime before retiring, and says to keep the new slot afterwards', () => {
    const retire = rotationPlan('a', 43_200)[2]!;
    expect(retire.before).toContain('12 hours (the longest link lifetime) have passed since the switch deployment');
    expect(retire.effect).toContain('Keep deploying with deliveryKeySlots=b and deliveryActiveKey=b');
  });

  it('deploys each stage with the -c switches the stack reads', () => {
    expect(stageContextArguments(rotationPlan('a', 60)[1]!)).toEqual(['-c', 'delivery=true', '-c', 'deliveryKeySlots=a,b', '-c', 'deliveryActiveKey=b']);
  });
});

describe('each stage synthesizes to the keys it needs', () => {
  it('before the rotation: one key pair a, trusted, signing, readable', () => {
    expect(stageTemplateFacts({ keySlots: ['a'], activeKeySlot: 'a' })).toEqual({ keyPairSlots: ['a'], keyGroupSlots: ['a'], signingSlot: 'a', secretReadSlots: ['a'] });
  });

  it('add: both key pairs trusted, the token service still signs with a and reads only a\'s secret', () => {
    expect(stageTemplateFacts(rotationPlan('a', 60)[0]!)).toEqual({ keyPairSlots: ['a', 'b'], keyGroupSlots: ['a', 'b'], signingSlot: 'a', secretReadSlots: ['a'] });
  });

  it('switch: both trusted, the token service signs with b and reads only b\'s secret', () => {
    expect(stageTemplateFacts(rotationPlan('a', 60)[1]!)).toEqual({ keyPairSlots: ['a', 'b'], keyGroupSlots: ['a', 'b'], signingSlot: 'b', secretReadSlots: ['b'] });
  });

  it('retire: only b is left', () => {
    expect(stageTemplateFacts(rotationPlan('a', 60)[2]!)).toEqual({ keyPairSlots: ['b'], keyGroupSlots: ['b'], signingSlot: 'b', secretReadSlots: ['b'] });
  });

  it('finds no problem in any stage of a rotation from b', () => {
    for (const stage of rotationPlan('b', 60)) expect(stageProblems(stage)).toEqual([]);
  });

  it('refuses a stage the stack cannot build (signing with a key it does not trust)', () => {
    expect(() => stageProblems({ ...rotationPlan('a', 60)[2]!, activeKeySlot: 'a' })).toThrow(/activeKeySlot 'a' is not one of delivery\.keySlots \["b"\]/);
  });
});

describe('npm run rotate-cdn-key', () => {
  it('prints the three stages with their commands and checks', async () => {
    const { code, stdout } = await rotateCdnKey('--from', 'a', '--max-link-lifetime', '86400', '--', '-c', 'allowedOrigins=https://app.example.com');
    expect(code).toBe(0);
    expect(stdout).toContain('Rotating the CDN key from slot a to slot b (links live at most 1 day).');
    expect(stdout).toContain('run:    npx cdk deploy -c delivery=true -c deliveryKeySlots=a,b -c deliveryActiveKey=a -c allowedOrigins=https://app.example.com');
    expect(stdout).toContain('run:    npx cdk deploy -c delivery=true -c deliveryKeySlots=a,b -c deliveryActiveKey=b -c allowedOrigins=https://app.example.com');
    expect(stdout).toContain('run:    npx cdk deploy -c delivery=true -c deliveryKeySlots=b -c deliveryActiveKey=b -c allowedOrigins=https://app.example.com');
    expect(stdout.match(/check: {2}the synthesized template trusts/g)).toHaveLength(3);
    expect(stdout).toContain('1 day (the longest link lifetime) have passed');
  }, 60_000);

  it('prints one stage with --stage', async () => {
    const { code, stdout } = await rotateCdnKey('--from', 'b', '--stage', 'retire');
    expect(code).toBe(0);
    expect(stdout).toContain('3. retire');
    expect(stdout).not.toContain('1. add');
    expect(stdout).toContain('deliveryKeySlots=a -c deliveryActiveKey=a');
  }, 60_000);

  it('refuses --deploy without --stage, an unknown slot and a lifetime beyond 7 days, with exit code 2', async () => {
    const deployAll = await rotateCdnKey('--deploy');
    expect(deployAll.code).toBe(2);
    expect(deployAll.stderr).toContain('--deploy needs --stage');
    const slot = await rotateCdnKey('--from', 'c');
    expect(slot.code).toBe(2);
    expect(slot.stderr).toMatch(/Allowed choices are a, b/);
    const lifetime = await rotateCdnKey('--max-link-lifetime', '604801');
    expect(lifetime.code).toBe(2);
    expect(lifetime.stderr).toContain('a whole number of seconds from 1 to 604800');
  }, 60_000);
});
