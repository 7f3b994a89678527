import { parseArgs } from 'node:util';
import { describeAttempt, hasViolations, matrixFigures, matrixTable } from './matrix-summary.ts';
import { VerificationInterrupted, VerificationSetupError } from './verification-errors.ts';
import { newRunTag, SIGNED_IN_PERSONAS, verifyDeployment, type SignedInPersonaName, type VerificationResult } from './verify-deployment.ts';

const HELP = `Usage: npm run verify -- --outputs <outputs.json> [options]

Verifies a deployment (local or AWS) after deploy: signs test identities in through its token
service and Cognito, tries every S3 operation on every kind of key as each of them against its
bucket (the reliability suite's security matrix, about 2,700 attempts with guests), and reports
every forbidden attempt that succeeded and every allowed one that was refused. It uses only the
outputs' endpoints and the AWS SDK: what it proves is what the deployment enforces.

Options:
  --outputs <path>          the outputs file: cdk deploy --outputs-file, or .local/outputs.json
  --stack <name>            the stack in an outputs file holding several
  --hmac-secret-arn <arn>   the hmac authenticator: sign test sessions with this Secrets Manager
                            secret, read with your AWS credentials (secretsmanager:GetSecretValue);
                            also taken from an "hmacSecretArn" key in the outputs
  --session <name>=<token>  an OIDC deployment: a session token of a test user, for each of
                            alice, bob and carol (alice and bob in two different tenants, carol in
                            none); repeat the option
  -h, --help                this text

Sign-in: given sessions, else the HMAC secret, else the token service's development sign-in
(POST /v1/dev/session, the local token service only).

What it creates, and deletes again:
  - three test users verify-<random>-alice, -bob (tenants verify-<random>-acme and -globex) and
    -carol, new on every run, and a guest identity when the outputs say guestsAllowed; their
    identities are unlinked at the end (DELETE /v1/identity; with --session the users are yours
    and are kept, and the guest identity stays unused in the identity pool);
  - objects and multipart uploads whose names hold verify-<random>, in those users' own folders
    (users/, protected/, public/ and their tenants' tenants/ folders), and wherever the deployment
    wrongly lets them write. Every upload is aborted and every object deleted at the end; what a
    test identity cannot delete is listed so an admin can remove it. The run's tag is printed
    first. Ctrl-C (SIGINT, SIGTERM) starts no new attempt, runs the same clean-up, reports what
    it removed and left, and exits 130; a second Ctrl-C exits at once, naming the run.

Exit codes: 0 every forbidden attempt refused and every allowed one passed; 1 a violation (a
forbidden success, a leaked secret, a damaged test object, a refused allowed operation) or an
object left behind; 2 a usage or set-up error (bad arguments, unreadable outputs, sign-in failed);
130 interrupted.`;

function parseSessions(values: string[]): Partial<Record<SignedInPersonaName, string>> {
  const sessions: Partial<Record<SignedInPersonaName, string>> = {};
  for (const value of values) {
    const separator = value.indexOf('=');
    const name = value.slice(0, separator) as SignedInPersonaName;
    if (separator < 1 || !SIGNED_IN_PERSONAS.includes(name) || separator === value.length - 1) {
      throw new VerificationSetupError('usage', `--session takes <name>=<token> with name alice, bob or carol (got ${JSON.stringify(value.slice(0, 40))})`);
    }
    sessions[name] = value.slice(separator + 1);
  }
  return sessions;
}

function report(result: VerificationResult): string[] {
  const { summary } = result;
  const lines = [
    `signed in (${result.signIn}): ${result.users.map((user) => `${user.persona} = ${user.userId}${user.tenant ? ` (tenant ${user.tenant})` : ''}`).join(', ')}`,
    ...(result.locationDifferences.length > 0
      ? ['note: the deployment publishes locations other than the defaults; the matrix checks the defaults:', ...result.locationDifferences.map((line) => `  ${line}`)]
      : []),
    '',
    matrixTable([...summary.forbidden, ...summary.controls, ...summary.confined]),
    '',
    `[security matrix] ${matrixFigures(summary)}`,
  ];
  const section = (title: string, entries: string[]) => (entries.length > 0 ? ['', `${title} (${entries.length}):`, ...entries.map((entry) => `  ${entry}`)] : []);
  lines.push(...section('FORBIDDEN ATTEMPTS THAT SUCCEEDED', summary.forbiddenAllowed.map(describeAttempt)));
  lines.push(...section('LEAKS', summary.leaks.map(describeAttempt)));
  lines.push(...section('DAMAGED TEST OBJECTS', summary.damaged));
  lines.push(...section('ALLOWED OPERATIONS REFUSED', summary.controlsRefused.map(describeAttempt)));
  lines.push(...section('forbidden attempts answered other than AccessDenied (refused, but look)', summary.forbiddenOdd.map(describeAttempt)));
  lines.push(...section('LEFT BEHIND (delete with admin credentials)', result.leftBehind));
  lines.push(...section('test identities not unlinked', result.identitiesKept));
  lines.push('', result.leftBehind.length === 0 ? 'clean-up: every object and upload of the run deleted' : `clean-up: ${result.leftBehind.length} objects left behind`);
  return lines;
}

/** What an interrupted run removed and left, on stdout like a normal run's report. */
function interruptedReport(interrupted: VerificationInterrupted): string[] {
  const { removed, leftBehind, identitiesKept, runTag } = interrupted;
  const lines = [
    `verify: INTERRUPTED: run ${runTag} stopped before its end; no verdict`,
    `clean-up: ${removed.uploadsAborted} uploads aborted, ${removed.objectsDeleted} objects deleted, ${removed.identitiesUnlinked.length} test identities unlinked${removed.identitiesUnlinked.length > 0 ? ` (${removed.identitiesUnlinked.join(', ')})` : ''}`,
  ];
  if (leftBehind.length > 0) lines.push(`LEFT BEHIND (delete with admin credentials) (${leftBehind.length}):`, ...leftBehind.map((key) => `  ${key}`));
  if (identitiesKept.length > 0) lines.push(`test identities not unlinked (${identitiesKept.length}):`, ...identitiesKept.map((user) => `  ${user}`));
  lines.push(leftBehind.length === 0 && identitiesKept.length === 0 ? `clean-up: nothing of run ${runTag} left behind` : `clean-up: ${leftBehind.length} objects left behind`);
  return lines;
}

/**
 * The first SIGINT/SIGTERM stops new attempts and lets the run clean up; a second one exits at
 * once (130), naming the run so its leftovers can be found.
 */
function interruptOnSignals(runTag: string): AbortController {
  const controller = new AbortController();
  const onSignal = () => {
    if (!controller.signal.aborted) {
      console.error(`verify: interrupted: starting no new attempts, cleaning up run ${runTag} (interrupt again to stop at once)`);
      controller.abort();
      return;
    }
    console.error(`verify: interrupted again: clean-up of run ${runTag} cut short; objects, uploads and test users holding "${runTag}" may be left behind`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        outputs: { type: 'string' },
        stack: { type: 'string' },
        'hmac-secret-arn': { type: 'string' },
        session: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    console.error(`verify: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  try {
    if (!values.outputs) throw new VerificationSetupError('usage', '--outputs <path> is required (cdk deploy --outputs-file, or .local/outputs.json)');
    const runTag = newRunTag();
    const controller = interruptOnSignals(runTag);
    const result = await verifyDeployment({
      outputsPath: values.outputs,
      runTag,
      signal: controller.signal,
      ...(values.stack ? { stackName: values.stack } : {}),
      ...(values['hmac-secret-arn'] ? { hmacSecretArn: values['hmac-secret-arn'] } : {}),
      ...(values.session ? { sessions: parseSessions(values.session) } : {}),
      log: (line) => console.error(`verify: ${line}`),
    });
    for (const line of report(result)) console.log(line);
    const failed = hasViolations(result.summary) || result.leftBehind.length > 0;
    console.log(failed ? 'verify: FAILED: the deployment does not enforce the default locations (see above)' : 'verify: OK: every forbidden attempt was refused and every allowed one passed');
    return failed ? 1 : 0;
  } catch (error) {
    if (error instanceof VerificationInterrupted) {
      for (const line of interruptedReport(error)) console.log(line);
      return 130;
    }
    if (error instanceof VerificationSetupError) {
      console.error(`verify: ${error.message}`);
      return 2;
    }
    console.error(`verify: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
