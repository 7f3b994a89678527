import { Command, InvalidArgumentError } from 'commander';
import { ALLOWED_HOSTS_VARIABLE, parseAllowedHosts } from '../../app/web/loopback-host-check.ts';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { keepServingAfterStrayErrors } from './keep-serving-after-stray-errors.ts';
import { startLocalCloud } from './local-cloud.ts';
import { asPortInUse, PortInUseError } from './port-in-use-error.ts';
import { LocalDatabaseUnavailableError } from './persistence/local-database.ts';
import { ObjectBytesWithoutDatabaseError } from './s3/model/object-bytes-without-database-error.ts';
import { lockStateDirectory, StateDirectoryInUseError } from './state-directory-lock.ts';

/** `npm run local`: the local cloud alone (Cognito Identity + S3 enforcing the stack's policies). */
function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number.');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = nonNegativeInteger(value);
  if (parsed === 0) throw new InvalidArgumentError('expected a whole number above 0.');
  return parsed;
}

refuseUnsupportedNode();

const options = new Command('local-cloud')
  .description('Run Cognito Identity and S3 on this machine, enforcing the policies of the synthesized stack.')
  .option('-p, --port <port>', 'port for HTTPS and loopback HTTP (0: a free one)', nonNegativeInteger, Number(process.env.LOCAL_CLOUD_PORT ?? 0))
  .option('--cdn-port <port>', 'port of the local CDN, HTTPS and loopback HTTP (0: a free one)', nonNegativeInteger, Number(process.env.LOCAL_CDN_PORT ?? 0))
  .option('--no-delivery', 'synthesize the stack without the CloudFront distribution (no local CDN)')
  .option('--state-dir <dir>', 'outputs, certificates, synthesized template', '.local')
  .option('--data-dir <dir>', 'objects, uploads, identities, credentials (default: <state-dir>/data)')
  .option('--origin <origins...>', 'web origins the bucket CORS rules allow', ['http://localhost:5173'])
  .option('--credentials-lifetime <seconds>', 'lifetime of credentials from GetCredentialsForIdentity', nonNegativeInteger, 3600)
  .option('--max-token-lifetime <seconds>', 'cap on OpenID token lifetimes', nonNegativeInteger, 86_400)
  .option('--max-credentials-per-identity <count>', 'credential sets one identity holds at once (the oldest is evicted)', positiveInteger, 20)
  .option('--client-idle-timeout <seconds>', 'a request body silent this long is 400 RequestTimeout; a connection silent twice this long is closed', positiveInteger, 20)
  .option('--strict-transport', 'treat loopback plain HTTP as insecure, as AWS treats all plain HTTP')
  .option('--log-requests', 'print one line per request')
  .option('--allowed-host <hosts...>', `host names the port answers to besides localhost, 127.0.0.1 and [::1] (or ${ALLOWED_HOSTS_VARIABLE}, comma-separated)`)
  .addHelpText('after', '\nClients read .local/outputs.json (endpoints, bucket, pool id, CA certificate).')
  .parse()
  .opts<{ port: number; cdnPort: number; delivery: boolean; stateDir: string; dataDir?: string; origin: string[]; credentialsLifetime: number; maxTokenLifetime: number; maxCredentialsPerIdentity: number; clientIdleTimeout: number; strictTransport?: boolean; logRequests?: boolean; allowedHost?: string[] }>();

/** A mistake the person starting it can fix: one line, no stack trace. */
function exitWith(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

await lockStateDirectory(options.stateDir, { howToChooseAnother: 'pass --state-dir to use another one' }).catch((error: unknown) => {
  if (error instanceof StateDirectoryInUseError) exitWith(error.message);
  throw error;
});
const cloud = await startLocalCloud({
  port: options.port,
  cdnPort: options.cdnPort,
  stateDirectory: options.stateDir,
  dataDirectory: options.dataDir,
  stack: { allowedOrigins: options.origin, ...(options.delivery ? { delivery: true as const } : {}) },
  credentialsLifetimeSeconds: options.credentialsLifetime,
  maxOpenIdTokenLifetimeSeconds: options.maxTokenLifetime,
  maxCredentialsPerIdentity: options.maxCredentialsPerIdentity,
  clientIdleTimeoutSeconds: options.clientIdleTimeout,
  loopbackHttpIsSecure: !options.strictTransport,
  logRequests: options.logRequests,
  allowedHosts: parseAllowedHosts(options.allowedHost ?? process.env[ALLOWED_HOSTS_VARIABLE]),
}).catch((error: unknown) => {
  if (error instanceof LocalDatabaseUnavailableError || error instanceof ObjectBytesWithoutDatabaseError) exitWith(error.message);
  const failure = error instanceof PortInUseError ? error : asPortInUse(error, options.port, 'the local cloud');
  if (failure instanceof PortInUseError) {
    const flag = failure.server === 'the local CDN' ? '--cdn-port' : '--port';
    exitWith(`${failure.message} Stop it, or choose another port: ${flag} ${failure.port + 1} (0 picks a free one)`);
  }
  throw error;
});
process.stdout.write(
  [
    `Local cloud listening on ${cloud.httpsEndpoint} (HTTPS; CA certificate ${cloud.caCertificatePath})`,
    `                  and on ${cloud.httpEndpoint} (plain HTTP for browsers on this machine${options.strictTransport ? ', treated as insecure' : ''})`,
    `bucket ${cloud.outputs.bucket}, identity pool ${cloud.outputs.identityPoolId}`,
    ...(cloud.cdnUrl ? [`local CDN (CloudFront stand-in) on ${cloud.cdnUrl}; its signing key: ${cloud.deployment.cdnSigningKey?.privateKeyPath ?? 'none'}`] : []),
    `outputs: ${cloud.outputsPath}`,
    ...(cloud.tokenServiceCredentialsPath ? [`token service credentials (user-only file): ${cloud.tokenServiceCredentialsPath}`] : []),
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
const stop = () => {
  process.stdout.write('Stopping the local cloud...\n');
  void cloud.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
keepServingAfterStrayErrors();
