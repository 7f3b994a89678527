import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { explainDecision } from '../policy-engine/index.ts';
import { diffAccess, renderAccessDiff } from './access-diff.ts';
import { buildAccessMatrix, renderAccessMatrix } from './access-matrix.ts';
import { checkExpectations, parseExpectations, renderExpectationReport } from './expectations.ts';
import { decideForPersona, parseOperation } from './persona-request.ts';
import { resolveLocationKey } from './location-keys.ts';
import { findPersona, keyFor } from './personas.ts';
import { loadStackPolicies, type StackPolicies } from './stack-policies.ts';

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
  .option('--allow-guests', 'synthesize the stack with guests allowed, as npm start runs it (cdk synth/deploy: -c allowGuests=true)')
  .showHelpAfterError()
  .exitOverride();

const KEY_SYNTAX = `Keys: a full key ("users/{self}/a.txt") or a location of the stack and a key in it, as the CLI
writes it: "private:a.txt" (the persona's own folder), "shared:handbook.pdf", "team:plan.xlsx"
(the persona's tenant), "protected:{other}/photo.jpg" (a protected location's keys start with an
identity). Placeholders: {self} (the persona's identity id), {other} (another identity's),
{tenant}, {otherTenant}. For list, the key is the prefix listed ("protected:" lists protected/).`;

/** The expectations file's text; a read failure names the file, like the template errors. */
async function readExpectationsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`expectations file ${file}: cannot read it (${(error as Error).message})`);
  }
}

function stackPolicies(side = 'template'): Promise<StackPolicies> {
  const options = program.opts<{ template?: string; allowGuests?: boolean }>();
  return loadStackPolicies(options.template, { allowGuests: options.allowGuests === true, side });
}

program
  .command('matrix')
  .description('allow/deny for each persona x operation x sample key of each location (rows labelled "protected (protected/{identityId}/): ...")')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const stack = await stackPolicies();
    const cells = buildAccessMatrix(stack);
    process.stdout.write(options.json ? `${JSON.stringify(cells, null, 2)}\n` : `${renderAccessMatrix(cells, stack)}\n`);
  });

program
  .command('explain')
  .description('the decision for one request, the statements that decided it and the variables as resolved')
  .requiredOption('--as <persona>', 'alice, bob, carol, guest (or owner/other), or an identity id')
  .requiredOption('--action <action>', 'get, put, delete, list, copy-from, or an S3 action such as s3:GetObject')
  .requiredOption('--key <key>', 'object key or location:key (for list: the prefix); {self}, {other}, {tenant} are filled in')
  .option('--tenant <tenant>', 'principal tag "tenant" of the caller')
  .addHelpText('after', `\n${KEY_SYNTAX}\n\nExamples:\n  npm run policy -- explain --as alice --action s3:GetObject --key "users/{other}/photo.jpg"\n  npm run policy -- explain --as bob --action put --key "protected:{other}/photo.jpg"`)
  .action(async (options: { as: string; action: string; key: string; tenant?: string }) => {
    const persona = findPersona(options.as, options.tenant);
    const parsed = parseOperation(options.action);
    const operation = parsed === 's3:ListBucket' ? 'list' : parsed;
    const stack = await stackPolicies();
    const decision = decideForPersona(stack, persona, operation, keyFor(resolveLocationKey(options.key, stack.locations), persona));
    process.stdout.write(`${persona.name} (${persona.identityId}${persona.tenant ? `, tenant ${persona.tenant}` : ''}): ${decision.allowed ? 'ALLOWED' : 'DENIED'}\n`);
    for (const check of decision.checks) process.stdout.write(`${explainDecision(check.result)}\n`);
    process.exitCode = decision.allowed ? 0 : 1;
  });

program
  .command('check')
  .description('check an expectations file ("owner can put users/{self}/a.txt", "other can get protected:{self}/a.jpg"); exits 1 on any violation')
  .argument('<file>', 'expectations file')
  .addHelpText(
    'after',
    `\nEach line: <persona> can|cannot <operation> [<location>:]<key>; blank lines and # comments are skipped.
  personas: alice (tenant acme), bob (tenant globex), carol (no tenant), guest; owner = alice, other = bob
  operations: get, put, delete, list, copy-from, abort-upload, list-parts, or one S3 action (s3:GetObject)
${KEY_SYNTAX}

Example lines:
  owner can put private:a.txt
  other can get protected:{self}/photo.jpg
  other cannot put protected:{self}/photo.jpg
  other cannot list protected:`,
  )
  .action(async (file: string) => {
    const text = await readExpectationsFile(file);
    const stack = await stackPolicies();
    const expectations = parseExpectations(text, file, stack.locations);
    const report = renderExpectationReport(checkExpectations(stack, expectations), file);
    process.stdout.write(`${report.text}\n`);
    process.exitCode = report.violations > 0 ? 1 : 0;
  });

program
  .command('diff')
  .description('what a rule change newly allows and newly denies: the base template against the new one (default: the stack synthesized now); exits 1 when anything is newly allowed')
  .argument('<base-template>', 'the template deployed now (cdk synth output, e.g. from the main branch)')
  .argument('[new-template]', 'the template to deploy (default: synthesize the current stack, honouring --allow-guests and --template)')
  .option('--expectations <file>', "also compare the requests of this expectations file (their can/cannot is not checked here; that is what check does)")
  .option('--json', 'print JSON: { newlyAllowed: [...], newlyDenied: [...] }')
  .addHelpText(
    'after',
    `
Compared: every persona x operation x key class of either template's matrix, matched on the
concrete request (persona, operation, key), so a location only one side has is judged by the
other side's policies too. Each change names the statements that allow it (Sids) and why the
other side denies it.

Exit codes: 0 nothing newly allowed (newly denied requests are listed but pass), 1 something is
newly allowed (have a human approve it), 2 the comparison could not be made (unreadable template,
bad expectations file, usage error).

Example (the base synthesized on main, the new side from the working tree):
  git switch main && npm run synth && cp cdk.out/ScopedStorage.template.json /tmp/base.json && git switch -
  npm run policy -- diff /tmp/base.json`,
  )
  .action(async (baseTemplate: string, newTemplate: string | undefined, options: { expectations?: string; json?: boolean }) => {
    const base = await loadStackPolicies(baseTemplate, { side: 'base template' });
    const next = newTemplate === undefined ? await stackPolicies('new template') : await loadStackPolicies(newTemplate, { side: 'new template' });
    const expectations = options.expectations === undefined ? [] : parseExpectations(await readExpectationsFile(options.expectations), options.expectations, [...next.locations, ...base.locations]);
    const diff = diffAccess(base, next, expectations, options.expectations);
    process.stdout.write(options.json ? `${JSON.stringify({ newlyAllowed: diff.newlyAllowed, newlyDenied: diff.newlyDenied }, null, 2)}\n` : `${renderAccessDiff(diff, options.expectations)}\n`);
    process.exitCode = diff.newlyAllowed.length > 0 ? 1 : 0;
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
