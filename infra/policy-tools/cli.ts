import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { explainDecision } from '../policy-engine/index.ts';
import { buildAccessMatrix, renderAccessMatrix } from './access-matrix.ts';
import { checkExpectations, parseExpectations, renderExpectationReport } from './expectations.ts';
import { decideForPersona, parseOperation } from './persona-request.ts';
import { findPersona, keyFor } from './personas.ts';
import { loadStackPolicies } from './stack-policies.ts';

/** Exit codes: 0 allowed / all hold, 1 denied / some violated, 2 the question could not be asked. */
const USAGE_ERROR = 2;

/**
 * `npm run policy -- <command>`: what the stack's policies allow, and why, before deploying.
 * exitOverride comes before the subcommands so they inherit it: commander would exit 1 on a
 * usage error, which reads as DENIED.
 */
const program = new Command('policy')
  .description('Admin tools over the IAM policies of the synthesized stack (the ones cdk deploy would deploy).')
  .option('--template <file>', 'read this CloudFormation template instead of synthesizing the stack')
  .showHelpAfterError()
  .exitOverride();

program
  .command('matrix')
  .description('allow/deny for each persona x operation x sample key')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const stack = await loadStackPolicies(program.opts<{ template?: string }>().template);
    const cells = buildAccessMatrix(stack);
    process.stdout.write(options.json ? `${JSON.stringify(cells, null, 2)}\n` : `${renderAccessMatrix(cells)}\n`);
  });

program
  .command('explain')
  .description('the decision for one request, the statements that decided it and the variables as resolved')
  .requiredOption('--as <persona>', 'alice, bob, carol, guest (or owner/other), or an identity id')
  .requiredOption('--action <action>', 'get, put, delete, list, copy-from, or an S3 action such as s3:GetObject')
  .requiredOption('--key <key>', 'object key (for list: the prefix); {self}, {other}, {tenant} are filled in')
  .option('--tenant <tenant>', 'principal tag "tenant" of the caller')
  .addHelpText('after', '\nExample:\n  npm run policy -- explain --as alice --action s3:GetObject --key "users/{other}/photo.jpg"')
  .action(async (options: { as: string; action: string; key: string; tenant?: string }) => {
    const persona = findPersona(options.as, options.tenant);
    const parsed = parseOperation(options.action);
    const operation = parsed === 's3:ListBucket' ? 'list' : parsed;
    const stack = await loadStackPolicies(program.opts<{ template?: string }>().template);
    const decision = decideForPersona(stack, persona, operation, keyFor(options.key, persona));
    process.stdout.write(`${persona.name} (${persona.identityId}${persona.tenant ? `, tenant ${persona.tenant}` : ''}): ${decision.allowed ? 'ALLOWED' : 'DENIED'}\n`);
    for (const check of decision.checks) process.stdout.write(`${explainDecision(check.result)}\n`);
    process.exitCode = decision.allowed ? 0 : 1;
  });

program
  .command('check')
  .description('check an expectations file ("owner can put users/{self}/a.txt"); exits 1 on any violation')
  .argument('<file>', 'expectations file')
  .action(async (file: string) => {
    const expectations = parseExpectations(await readFile(file, 'utf8'), file);
    const stack = await loadStackPolicies(program.opts<{ template?: string }>().template);
    const report = renderExpectationReport(checkExpectations(stack, expectations), file);
    process.stdout.write(`${report.text}\n`);
    process.exitCode = report.violations > 0 ? 1 : 0;
  });

refuseUnsupportedNode();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help, which exits 0).
    process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR;
  } else {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = USAGE_ERROR;
  }
}
