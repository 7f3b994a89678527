import { spawn } from 'node:child_process';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { CDN_KEY_SLOTS, MAX_LINK_LIFETIME_SECONDS, MIN_LINK_LIFETIME_SECONDS, type CdnKeySlot } from '../construct/delivery-options.ts';
import { describeDuration, otherSlot, ROTATION_STAGE_NAMES, rotationPlan, stageContextArguments, type RotationStage } from './rotation-plan.ts';
import { stageProblems } from './verify-rotation-stage.ts';

/** Exit codes: 0 done, 1 a stage's template is not what the stage needs or the deployment failed, 2 a usage error. */
const USAGE_ERROR = 2;

/**
 * `npm run rotate-cdn-key`: replaces the CDN's signing key through three deployments (add the
 * new key, sign with it, retire the old one). It prints the plan, checks each stage's
 * synthesized template, and with `--deploy` runs `cdk deploy` with the stage's `-c` switches.
 * It cannot know which slot a deployment uses: `--from` says so.
 */
const program = new Command('rotate-cdn-key')
  .description('Rotate the CloudFront key pair the token service signs CDN links and cookies with, in three deployments.')
  .addOption(new Option('--from <slot>', 'the key slot the deployment signs with now').choices(CDN_KEY_SLOTS).default('a'))
  .addOption(new Option('--stage <stage>', 'print (and with --deploy run) one stage; without it the whole plan is printed').choices(ROTATION_STAGE_NAMES))
  .option('--max-link-lifetime <seconds>', "the stack's delivery.maxLinkLifetime in seconds: how long to wait before retire", parseLifetime, MAX_LINK_LIFETIME_SECONDS)
  .option('--deploy', 'run npx cdk deploy for --stage (with the arguments after --, e.g. -- -c allowedOrigins=https://app.example.com)')
  .argument('[cdkArguments...]', 'more arguments for cdk deploy, after --')
  .showHelpAfterError()
  .exitOverride()
  .action(async (cdkArguments: string[], options: { from: CdnKeySlot; stage?: RotationStage['name']; maxLinkLifetime: number; deploy?: boolean }) => {
    const plan = rotationPlan(options.from, options.maxLinkLifetime);
    if (options.deploy && !options.stage) {
      process.stderr.write('error: --deploy needs --stage: each deployment is its own step, with a wait before retire.\n');
      process.exitCode = USAGE_ERROR;
      return;
    }
    const stages = options.stage ? plan.filter((stage) => stage.name === options.stage) : plan;
    process.stdout.write(`Rotating the CDN key from slot ${options.from} to slot ${otherSlot(options.from)} (links live at most ${describeDuration(options.maxLinkLifetime)}).\n\n`);
    let failed = false;
    for (const stage of stages) {
      const problems = stageProblems(stage);
      const command = ['npx', 'cdk', 'deploy', ...stageContextArguments(stage), ...cdkArguments].join(' ');
      process.stdout.write(`${plan.indexOf(stage) + 1}. ${stage.name}\n   before: ${stage.before}\n   effect: ${stage.effect}\n   run:    ${command}\n`);
      process.stdout.write(problems.length === 0 ? `   check:  the synthesized template trusts ${stage.keySlots.join(' and ')} and signs with ${stage.activeKeySlot}\n\n` : `   check FAILED: ${problems.join('; ')}\n\n`);
      failed ||= problems.length > 0;
    }
    if (failed) {
      process.exitCode = 1;
      return;
    }
    if (options.deploy) process.exitCode = await runCdkDeploy([...stageContextArguments(stages[0]!), ...cdkArguments]);
  });

function parseLifetime(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < MIN_LINK_LIFETIME_SECONDS || seconds > MAX_LINK_LIFETIME_SECONDS) {
    throw new InvalidArgumentError(`a whole number of seconds from ${MIN_LINK_LIFETIME_SECONDS} to ${MAX_LINK_LIFETIME_SECONDS}.`);
  }
  return seconds;
}

function runCdkDeploy(argumentsAfterDeploy: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'deploy', ...argumentsAfterDeploy], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

refuseUnsupportedNode();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed the usage error; its exit code 1 would read as a failed check.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR;
}
