import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { appendFileSync } from 'node:fs';
import { createAdminSecretAuthorizer } from '../../token-service/routes/admin-authorization.ts';
import { createDevelopmentAuthenticator } from '../../token-service/authenticators/development-authenticator.ts';
import { startTokenServiceServer, type RunningTokenService, type TokenServiceServerOptions } from '../../token-service/adapters/node-server.ts';
import { ALLOWED_HOSTS_VARIABLE, InvalidAllowedHostError, parseAllowedHosts } from '../../app/web/loopback-host-check.ts';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { startWebPageServer, type WebPageServer } from '../../app/web/web-page-server.ts';
import { startLocalCloud, type RunningLocalCloud } from './local-cloud.ts';
import { createTokenServiceCognitoClient } from './token-service-cognito-client.ts';
import type { LocalCloudOptions } from './local-cloud-options.ts';
import { readJsonFile, writeFileAtomic } from './persistence/atomic-file.ts';
import { asPortInUse, PortInUseError } from './port-in-use-error.ts';
import { keepServingAfterStrayErrors } from './keep-serving-after-stray-errors.ts';
import { lockStateDirectory, StateDirectoryInUseError } from './state-directory-lock.ts';
import { LocalDatabaseUnavailableError } from './persistence/local-database.ts';
import { ObjectBytesWithoutDatabaseError } from './s3/model/object-bytes-without-database-error.ts';

export interface MainJobOptions {
  /** @default 5173 */
  pagePort?: number;
  /** @default 0 (a free port) */
  tokenServicePort?: number;
  cloud?: Omit<LocalCloudOptions, 'stack' | 'tokenServiceUrl'>;
  /**
   * Extra stack options (the page origin is always allowed). `allowGuests` and `delivery` default
   * to true here, so guests, the public location and the local CDN can be tried.
   */
  stack?: LocalCloudOptions['stack'];
  /** Where the token service writes its JSON log lines. @default `<state dir>/token-service.log` */
  tokenServiceLog?: string | false;
  /** Host names the three servers answer to besides localhost, 127.0.0.1 and [::1] (DNS-rebinding guard). @default none */
  allowedHosts?: readonly string[];
}

export interface RunningMainJob {
  cloud: RunningLocalCloud;
  tokenService: RunningTokenService;
  page: WebPageServer;
  adminSecret: string;
  close(): Promise<void>;
}

/**
 * Everything on one machine: the local cloud enforcing the stack's policies, the token service in
 * local mode (development sign-in, its own role's credentials), and the web page.
 */
export async function startMainJob(options: MainJobOptions = {}): Promise<RunningMainJob> {
  const stateDirectory = resolve(options.cloud?.stateDirectory ?? '.local');
  const allowedHosts = parseAllowedHosts(options.allowedHosts);
  const pagePort = options.pagePort ?? 5173;
  const page = await startWebPageServer({ port: pagePort, allowedHosts }).catch((error: unknown) => {
    throw asPortInUse(error, pagePort, 'the web page');
  });
  const pageOrigins = [`http://localhost:${page.port}`, `http://127.0.0.1:${page.port}`];
  let cloud: RunningLocalCloud;
  try {
    cloud = await startLocalCloud({
      ...options.cloud,
      stateDirectory,
      allowedHosts,
      stack: {
        ...options.stack,
        allowGuests: options.stack?.allowGuests ?? true,
        delivery: options.stack?.delivery ?? true,
        allowedOrigins: [...pageOrigins, ...(options.stack?.allowedOrigins ?? [])],
      },
    });
  } catch (error) {
    await page.close();
    throw error instanceof PortInUseError ? error : asPortInUse(error, options.cloud?.port ?? 0, 'the local cloud');
  }
  try {
    const secrets = await localSecrets(stateDirectory);
    const delivery = deliverySettings(cloud);
    const logPath = options.tokenServiceLog === undefined ? join(stateDirectory, 'token-service.log') : options.tokenServiceLog;
    const tokenService = await startTokenServiceServer({
      port: options.tokenServicePort ?? 0,
      allowedHosts,
      cognito: await createTokenServiceCognitoClient(cloud),
      identityPoolId: cloud.outputs.identityPoolId,
      developerProviderName: cloud.outputs.developerProviderName,
      authenticator: createDevelopmentAuthenticator({ secret: Buffer.from(secrets.developmentSessionSecret, 'hex') }),
      allowedOrigins: pageOrigins,
      guestTokenJwksUrl: `${cloud.httpEndpoint}/.well-known/jwks.json`,
      authorizeAdmin: createAdminSecretAuthorizer(secrets.adminSecret),
      logSink: logPath === false ? () => undefined : (line) => appendFileSync(logPath, `${line}\n`),
      ...(delivery ? { delivery } : {}),
    });
    const tokenServiceUrl = tokenService.url.replace('127.0.0.1', 'localhost');
    await cloud.setTokenServiceUrl(tokenService.url);
    // The page's endpoints are all loopback HTTP on the host name `localhost`, so the cookies the token service sets reach the CDN.
    const pageEndpoints = { s3: cloud.httpEndpoint, cognitoIdentity: cloud.httpEndpoint, ...(cloud.cdnUrl ? { cdn: cloud.cdnUrl } : {}) };
    page.publishOutputs({
      ...cloud.outputs,
      tokenServiceUrl,
      endpoints: pageEndpoints,
      caCertificate: undefined,
    });
    return {
      cloud,
      tokenService,
      page,
      adminSecret: secrets.adminSecret,
      async close() {
        await Promise.allSettled([page.close(), tokenService.close()]);
        await cloud.close();
      },
    };
  } catch (error) {
    await Promise.allSettled([page.close(), cloud.close()]);
    throw error;
  }
}

/**
 * What the token service signs CDN links and cookies with locally: the local CDN's address, the
 * stand-in key pair's private key and public key id, the bucket and the access rules. On AWS the
 * same come from its environment (the private key through Secrets Manager).
 */
function deliverySettings(cloud: RunningLocalCloud): TokenServiceServerOptions['delivery'] {
  const key = cloud.deployment.cdnSigningKey;
  if (!cloud.cdnUrl || !key) return undefined;
  const maxLinkSeconds = Number(cloud.deployment.tokenServiceEnvironment.TOKEN_SERVICE_LINK_MAX_SECONDS);
  return {
    cdnUrl: cloud.cdnUrl,
    keyPairId: key.keyPairId,
    privateKeyPem: key.privateKeyPem,
    bucket: cloud.outputs.bucket,
    accessRules: cloud.outputs.locations,
    ...(Number.isInteger(maxLinkSeconds) && maxLinkSeconds > 0 ? { maxLinkSeconds } : {}),
  };
}

/** Secrets of local mode, kept in a user-only file so CLI sessions survive a restart. */
async function localSecrets(stateDirectory: string): Promise<{ developmentSessionSecret: string; adminSecret: string }> {
  const path = join(stateDirectory, 'local-secrets.json');
  const existing = await readJsonFile<{ developmentSessionSecret: string; adminSecret: string }>(path);
  if (existing?.developmentSessionSecret && existing.adminSecret) return existing;
  const created = { developmentSessionSecret: randomBytes(32).toString('hex'), adminSecret: randomBytes(24).toString('base64url') };
  await writeFileAtomic(path, JSON.stringify(created));
  return created;
}

const GUESTS_VARIABLE = 'SCOPED_STORAGE_GUESTS';

/** What `npm start` reads from its environment; `--help` and the banner list them. */
const ENVIRONMENT_VARIABLES = [
  ['PAGE_PORT', 'port of the web page (default 5173; 0 picks a free one)'],
  ['LOCAL_CLOUD_PORT', 'port of the local cloud, HTTPS and plain HTTP (default 0: a free one)'],
  ['LOCAL_CDN_PORT', 'port of the local CDN (CloudFront stand-in), HTTPS and plain HTTP (default 0: a free one)'],
  ['SCOPED_STORAGE_STATE_DIR', 'state directory: outputs, certificates, data, secrets (default .local; one process at a time)'],
  ['LOCAL_CLOUD_CREDENTIALS_LIFETIME', 'seconds the credentials from GetCredentialsForIdentity live (default 3600)'],
  ['LOCAL_CLOUD_CLIENT_IDLE_TIMEOUT', 'seconds a request body may stay silent before 400 RequestTimeout (default 20)'],
  [ALLOWED_HOSTS_VARIABLE, 'comma-separated host names the servers answer to besides localhost, 127.0.0.1, [::1] (same as --allowed-host)'],
  [GUESTS_VARIABLE, 'on (default) or off: whether the identity pool hands out guest identities (same as --no-guests)'],
] as const;

/** A mistake the person starting the job can fix: printed as one line, without a stack trace. */
class StartUpError extends Error {}

function portVariable(environment: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = environment[name] ?? String(fallback);
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new StartUpError(`${name} must be a port number from 0 to 65535 (got "${value}").`);
  return port;
}

function guestsSetting(environment: NodeJS.ProcessEnv, flag: boolean): boolean {
  const value = environment[GUESTS_VARIABLE];
  if (value === undefined) return flag;
  if (value !== 'on' && value !== 'off') throw new StartUpError(`${GUESTS_VARIABLE} must be "on" or "off" (got "${value}").`);
  return flag && value === 'on';
}

/** The banner's lines on guests: whether they are on, and where they reach. */
function guestLines(outputs: RunningLocalCloud['outputs']): string[] {
  if (!outputs.guestsAllowed) return [`  Guests:         off (${GUESTS_VARIABLE}=on or leave out --no-guests to try them)`];
  const guestReach = outputs.locations.filter((location) => location.grants.guests || location.grants.guestOwner).map((location) => `${location.name} (${location.prefix})`);
  return [`  Guests:         on (no sign-in needed); guests reach ${guestReach.join(', ')}`];
}

function positiveSeconds(environment: NodeJS.ProcessEnv, name: string): number {
  const value = environment[name] ?? '';
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new StartUpError(`${name} must be a number of seconds above 0 (got "${value}").`);
  return seconds;
}

async function runMainJob(environment: NodeJS.ProcessEnv): Promise<void> {
  const flags = new Command('npm start')
    .description('The local cloud, the token service (local mode) and the web page on this machine.')
    .option('--allowed-host <hosts...>', `host names the servers answer to besides localhost, 127.0.0.1 and [::1] (or ${ALLOWED_HOSTS_VARIABLE}, comma-separated)`)
    .option('--no-guests', `run the stack without guest identities (or ${GUESTS_VARIABLE}=off); guests are on by default here, off in cdk synth/deploy`)
    .addHelpText('after', `\nEnvironment variables:\n${ENVIRONMENT_VARIABLES.map(([name, meaning]) => `  ${name.padEnd(34)}${meaning}`).join('\n')}\n\nExample: PAGE_PORT=5174 SCOPED_STORAGE_STATE_DIR=.local-2 npm start`)
    .parse()
    .opts<{ allowedHost?: string[]; guests: boolean }>();
  const pagePort = portVariable(environment, 'PAGE_PORT', 5173);
  const cloudPort = portVariable(environment, 'LOCAL_CLOUD_PORT', 0);
  const cdnPort = portVariable(environment, 'LOCAL_CDN_PORT', 0);
  const stateDirectory = environment.SCOPED_STORAGE_STATE_DIR ?? '.local';
  await lockStateDirectory(stateDirectory, { howToChooseAnother: 'set SCOPED_STORAGE_STATE_DIR to use another one' });
  let job: RunningMainJob;
  try {
    job = await startMainJob({
      allowedHosts: flags.allowedHost ?? parseAllowedHosts(environment[ALLOWED_HOSTS_VARIABLE]),
      pagePort,
      stack: { allowGuests: guestsSetting(environment, flags.guests) },
      cloud: {
        port: cloudPort,
        cdnPort,
        stateDirectory,
        ...(environment.LOCAL_CLOUD_CLIENT_IDLE_TIMEOUT ? { clientIdleTimeoutSeconds: positiveSeconds(environment, 'LOCAL_CLOUD_CLIENT_IDLE_TIMEOUT') } : {}),
        ...(environment.LOCAL_CLOUD_CREDENTIALS_LIFETIME ? { credentialsLifetimeSeconds: Number(environment.LOCAL_CLOUD_CREDENTIALS_LIFETIME) } : {}),
      },
    });
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error;
    const [variable, example] = error.server === 'the web page' ? ['PAGE_PORT', pagePort + 1] : error.server === 'the local CDN' ? ['LOCAL_CDN_PORT', 0] : ['LOCAL_CLOUD_PORT', 0];
    throw new StartUpError(`${error.message} Stop it, or choose another port: ${variable}=${example} npm start`);
  }
  process.stdout.write(
    [
      '',
      'Scoped Storage is running on this machine.',
      '',
      `  Web page:       ${job.page.url}   <- open this`,
      `  Token service:  ${job.tokenService.url}`,
      `  Local cloud:    ${job.cloud.httpsEndpoint} (HTTPS for SDKs; CA ${job.cloud.caCertificatePath})`,
      `                  ${job.cloud.httpEndpoint} (plain HTTP for the browser)`,
      ...(job.cloud.cdnUrl ? [`  CDN:            ${job.cloud.cdnUrl} (CloudFront stand-in: signed links and cookies, public/ unsigned)`] : []),
      `  Outputs file:   ${job.cloud.outputsPath}`,
      `  State:          ${resolve(stateDirectory)} (held by this process)`,
      `  Locations:      ${job.cloud.outputs.locations.map((location) => `${location.name} (${location.prefix})`).join(', ')}`,
      ...guestLines(job.cloud.outputs),
      '',
      'What to try:',
      '  1. Open the web page, sign in as "alice", drop a file on the page, share it, delete it.',
      '  2. Sign in as "bob" in a private window: bob cannot see alice\'s files.',
      '  3. In another terminal:  npm run demo            (scripted walkthrough with two users)',
      '                           npm run storage -- login --user carol && npm run storage -- upload README.md',
      '                           npm run policy -- matrix  (who may do what, from the stack\'s policies)',
      ...(job.cloud.outputs.guestsAllowed ? ['  4. Continue as a guest (no sign-in): a private folder of your own, and the public location to read.'] : []),
      '',
      'A second copy needs its own ports and state directory: PAGE_PORT=5174 LOCAL_CLOUD_PORT=0 SCOPED_STORAGE_STATE_DIR=.local-2 npm start',
      '(npm start -- --help lists every variable.)',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const stop = () => {
    process.stdout.write('Stopping...\n');
    void job.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  keepServingAfterStrayErrors();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  refuseUnsupportedNode();
  await runMainJob(process.env).catch((error: unknown) => {
    if (!(error instanceof StartUpError || error instanceof StateDirectoryInUseError || error instanceof InvalidAllowedHostError || error instanceof LocalDatabaseUnavailableError || error instanceof ObjectBytesWithoutDatabaseError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  });
}
