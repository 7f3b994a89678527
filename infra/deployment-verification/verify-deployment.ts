import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StorageOutputs } from '../../app/library/index.ts';
import { createNodeRequestHandler, readStorageOutputsFile } from '../../app/library/node/create-node-storage-client.ts';
import { differencesFromDefaults } from './location-differences.ts';
import { cleanUpMatrix, type CleanUpTally } from './matrix-cleanup.ts';
import { s3EndpointOf, signInPersona } from './matrix-personas.ts';
import { damagedSentinels, plantSentinels } from './matrix-sentinels.ts';
import { summarizeMatrix, type MatrixSummary } from './matrix-summary.ts';
import { newMatrixWorld, type MatrixWorld, type PersonaName } from './matrix-world.ts';
import { runSecurityMatrix } from './run-security-matrix.ts';
import { VerificationInterrupted, VerificationSetupError } from './verification-errors.ts';
import { developmentSession, hmacSession, readHmacSecret, type TestUser } from './verification-sessions.ts';

export type SignedInPersonaName = Exclude<PersonaName, 'guest'>;
export const SIGNED_IN_PERSONAS: readonly SignedInPersonaName[] = ['alice', 'bob', 'carol'];

export interface VerifyDeploymentOptions {
  outputsPath: string;
  stackName?: string;
  /** Secrets Manager ARN of the HS256 session signing secret (else the outputs' `hmacSecretArn`, if any). */
  hmacSecretArn?: string;
  /** Session tokens of test users (OIDC deployments): alice, bob and carol. */
  sessions?: Partial<Record<SignedInPersonaName, string>>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: no new attempt starts, the run cleans up and throws VerificationInterrupted. */
  signal?: AbortSignal;
  /** The run's tag (newRunTag()), when the caller must know it before the run ends. */
  runTag?: string;
}

/** A new run tag: every key, user and tenant of the run carries it. */
export function newRunTag(): string {
  return `verify-${randomBytes(6).toString('hex')}`;
}

export interface VerificationResult {
  signIn: 'development' | 'hmac' | 'given sessions';
  runTag: string;
  users: Array<{ persona: PersonaName; userId: string; identityId: string; tenant?: string }>;
  locationDifferences: string[];
  summary: MatrixSummary;
  /** Keys of the run still in the bucket after its clean-up (none when all went well). */
  leftBehind: string[];
  /** Test users whose identity could not be unlinked (the run's own users only; given sessions are kept). */
  identitiesKept: string[];
}

/** Unlinks a test user's identity (`DELETE /v1/identity`, account deletion): its next sign-in would get a new, empty one. */
async function unlinkIdentity(outputs: StorageOutputs, sessionToken: string): Promise<boolean> {
  const response = await fetch(`${outputs.tokenServiceUrl}/v1/identity`, { method: 'DELETE', headers: { authorization: `Bearer ${sessionToken}` } }).catch(() => undefined);
  return response?.ok === true;
}

/** Why a persona could not sign in: the client library's message, where it went, and the network cause under it. */
function signInFailure(outputs: StorageOutputs, name: string, error: Error): VerificationSetupError {
  let message = error.message.replace(/\.$/, '');
  if (/Cognito/.test(message) && !/https?:\/\//.test(message)) message += ` at ${outputs.endpoints?.cognitoIdentity ?? `https://cognito-identity.${outputs.region}.amazonaws.com`}`;
  let cause: unknown = error.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  if (cause instanceof Error && !message.includes(cause.message)) message += ` (${cause.message || (cause as { code?: string }).code || cause.name})`;
  return new VerificationSetupError('sign_in_failed', `${name} could not sign in: ${message}`);
}

/** The outputs, and the secret ARN a stack may publish next to them (`hmacSecretArn`). */
async function readOutputs(path: string, stackName: string | undefined): Promise<{ outputs: StorageOutputs; publishedSecretArn?: string }> {
  let outputs: StorageOutputs;
  try {
    outputs = await readStorageOutputsFile(path, stackName);
  } catch (error) {
    const message = (error as Error).message;
    // Several stacks and no --stack: say which option picks one.
    const several = /must hold one stack's outputs \(found: ([^)]*)\)/.exec(message);
    throw new VerificationSetupError('outputs_unreadable', several ? `${path} holds several stacks' outputs (${several[1]}): pass --stack <name> to pick one` : message);
  }
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  // A flat (single-deployment) file has no stack names, so a --stack would be silently ignored.
  if (stackName !== undefined && 'bucket' in raw) throw new VerificationSetupError('usage', `--stack names a stack, but ${path} holds one deployment's outputs without stack names`);
  const candidates = [raw, ...Object.values(raw).filter((value): value is Record<string, unknown> => typeof value === 'object' && value !== null && (value as Record<string, unknown>).bucket === outputs.bucket)];
  const publishedSecretArn = candidates.map((candidate) => candidate.hmacSecretArn).find((value): value is string => typeof value === 'string' && value !== '');
  return { outputs, ...(publishedSecretArn ? { publishedSecretArn } : {}) };
}

async function sessionsFor(outputs: StorageOutputs, users: Record<SignedInPersonaName, TestUser>, options: VerifyDeploymentOptions, publishedSecretArn: string | undefined): Promise<{ signIn: VerificationResult['signIn']; sessions: Record<SignedInPersonaName, string> }> {
  if (options.sessions && Object.keys(options.sessions).length > 0) {
    const missing = SIGNED_IN_PERSONAS.filter((name) => !options.sessions![name]);
    if (missing.length > 0) throw new VerificationSetupError('usage', `--session needs all of alice, bob and carol (missing: ${missing.join(', ')})`);
    return { signIn: 'given sessions', sessions: options.sessions as Record<SignedInPersonaName, string> };
  }
  const secretArn = options.hmacSecretArn ?? publishedSecretArn;
  if (secretArn) {
    const secret = await readHmacSecret(secretArn);
    const sessions = {} as Record<SignedInPersonaName, string>;
    for (const name of SIGNED_IN_PERSONAS) sessions[name] = await hmacSession(outputs, secret, users[name]);
    return { signIn: 'hmac', sessions };
  }
  const sessions = {} as Record<SignedInPersonaName, string>;
  for (const name of SIGNED_IN_PERSONAS) {
    const session = await developmentSession(outputs, users[name]);
    if (session === undefined) {
      throw new VerificationSetupError(
        'no_sign_in',
        `the token service at ${outputs.tokenServiceUrl} has no development sign-in (POST /v1/dev/session answered 404): pass --hmac-secret-arn <arn> (the hmac authenticator) or --session alice=<token> --session bob=<token> --session carol=<token> (OIDC test users)`,
      );
    }
    sessions[name] = session;
  }
  return { signIn: 'development', sessions };
}

/**
 * Signs test identities in to a deployment through its own token service and Cognito, runs the
 * security matrix against its S3 bucket, and deletes everything the run wrote.
 */
export async function verifyDeployment(options: VerifyDeploymentOptions): Promise<VerificationResult> {
  const log = options.log ?? (() => undefined);
  const { outputs, publishedSecretArn } = await readOutputs(options.outputsPath, options.stackName);
  const runTag = options.runTag ?? newRunTag();
  // First, so an operator who interrupts the run, or whose terminal dies, knows what to look for.
  log(`run ${runTag}: every object and upload it writes has "${runTag}" in its key`);
  // Unique per run, so the run never touches a real user's or tenant's files.
  const users: Record<SignedInPersonaName, TestUser> = {
    alice: { userId: `${runTag}-alice`, tenant: `${runTag}-acme` },
    bob: { userId: `${runTag}-bob`, tenant: `${runTag}-globex` },
    carol: { userId: `${runTag}-carol` },
  };
  const { signIn, sessions } = await sessionsFor(outputs, users, options, publishedSecretArn);
  const requestHandler: NodeHttpHandler = await createNodeRequestHandler(outputs, 8);
  const ca = outputs.caCertificate ? await readFile(outputs.caCertificate) : undefined;
  const world: MatrixWorld = newMatrixWorld({ bucket: outputs.bucket, region: outputs.region, s3Endpoint: s3EndpointOf(outputs), ...(ca ? { ca } : {}), ...(outputs.cdnUrl ? { cdnUrl: outputs.cdnUrl } : {}), guestsAllowed: outputs.guestsAllowed === true, runTag });
  /** Unlinks the run's own users that signed in (given sessions are the caller's, and kept); returns those it could not unlink. */
  const unlinkSignedIn = async (unlinked: string[] = []): Promise<string[]> => {
    const kept: string[] = [];
    if (signIn === 'given sessions') return kept;
    for (const name of SIGNED_IN_PERSONAS) {
      if (!world.personas.has(name)) continue;
      if (await unlinkIdentity(outputs, sessions[name])) unlinked.push(users[name].userId);
      else kept.push(users[name].userId);
    }
    return kept;
  };
  try {
    log(`signing in alice, bob, carol${outputs.guestsAllowed ? ' and a guest' : ''} (${signIn})`);
    for (const name of SIGNED_IN_PERSONAS) {
      options.signal?.throwIfAborted();
      world.personas.set(name, await signInPersona(outputs, requestHandler, name, sessions[name]).catch((error: Error) => {
        throw signInFailure(outputs, name, error);
      }));
    }
    if (outputs.guestsAllowed) {
      world.personas.set('guest', await signInPersona(outputs, requestHandler, 'guest', undefined).catch((error: Error) => {
        throw signInFailure(outputs, 'a guest (the outputs say guestsAllowed)', error);
      }));
    }
    const identities = new Set([...world.personas.values()].map((persona) => persona.identityId));
    if (identities.size !== world.personas.size) throw new VerificationSetupError('usage', 'two test users share one identity: give sessions of different users');
    options.signal?.throwIfAborted();
    log('planting sentinels');
    await plantSentinels(world).catch((error: Error) => {
      throw new VerificationSetupError('sentinels_failed', `could not write the test objects into the test users' own folders: ${error.name}: ${error.message}`);
    });
    options.signal?.throwIfAborted();
    log('running the security matrix');
    const attempts = await runSecurityMatrix(world, options.signal);
    const summary = summarizeMatrix(attempts, await damagedSentinels(world));
    log('cleaning up');
    const leftBehind = await cleanUpMatrix(world);
    const identitiesKept = await unlinkSignedIn();
    return {
      signIn,
      runTag,
      users: [...world.personas.values()].map((persona) => ({
        persona: persona.name,
        userId: persona.name === 'guest' ? '(guest)' : signIn === 'given sessions' ? '(given session)' : users[persona.name].userId,
        identityId: persona.identityId,
        ...(persona.tenant ? { tenant: persona.tenant } : {}),
      })),
      locationDifferences: differencesFromDefaults(outputs.locations ?? [], outputs.guestsAllowed === true),
      summary,
      leftBehind,
      identitiesKept,
    };
  } catch (error) {
    // A failed or interrupted run still removes what it wrote and unlinks the users it signed in.
    const tally: CleanUpTally = { uploadsAborted: 0, objectsDeleted: 0 };
    const leftBehind = await cleanUpMatrix(world, tally).catch(() => [`(the clean-up itself failed: look for keys holding ${runTag})`]);
    const unlinked: string[] = [];
    const identitiesKept = await unlinkSignedIn(unlinked);
    if (options.signal?.aborted) throw new VerificationInterrupted(runTag, { ...tally, identitiesUnlinked: unlinked }, leftBehind, identitiesKept);
    throw error;
  } finally {
    requestHandler.destroy();
  }
}
