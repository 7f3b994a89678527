import type { BuildStackOptions } from '../stack/build-stack.ts';

export interface LocalCloudOptions {
  /** Where outputs, certificates and the synthesized template go. @default '.local' */
  stateDirectory?: string;
  /** Where objects, uploads, identities and credentials live. @default `${stateDirectory}/data` */
  dataDirectory?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** Port of the local CDN (HTTPS and loopback HTTP), when the stack has a distribution. @default 0 (a free port) */
  cdnPort?: number;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  /**
   * Longest lifetime of an OpenID token, in seconds (GetOpenIdTokenForDeveloperIdentity's
   * TokenDuration is capped at this). @default 86400, as on AWS
   */
  maxOpenIdTokenLifetimeSeconds?: number;
  /** Lifetime of temporary credentials from GetCredentialsForIdentity. @default 3600, as on AWS */
  credentialsLifetimeSeconds?: number;
  /** Credential sets one identity holds at once; one more evicts its oldest (then InvalidAccessKeyId). @default 20 */
  maxCredentialsPerIdentity?: number;
  /**
   * Treat plain HTTP from the loopback interface as secure transport (`aws:SecureTransport` true),
   * so a browser reaches the local cloud without a certificate wall. The one deliberate difference
   * from AWS; switch it off to test the TLS-only bucket policy. @default true
   */
  loopbackHttpIsSecure?: boolean;
  /** Options for the stack the local cloud synthesizes (e.g. `allowedOrigins`, `accessRules`). */
  stack?: Omit<BuildStackOptions, 'app'>;
  /**
   * Where synthesized templates are cached, keyed by the stack's sources, the CDK version and
   * `stack`, so a restart with nothing changed skips the CDK.
   * @default `<project root>/node_modules/.cache/scoped-storage/templates`
   */
  templateCacheDirectory?: string;
  /** URL of the token service, written to the outputs. */
  tokenServiceUrl?: string;
  /** Lifetime of the credentials handed to the local token service. @default 12 hours */
  tokenServiceCredentialsLifetimeSeconds?: number;
  /**
   * A request body that sends nothing for this long fails with S3's 400 RequestTimeout; a connection
   * on which the client sends nothing for twice this long while the server waits for it is closed
   * (Cognito bodies, the unread rest after an error). @default 20, about what S3 allows
   */
  clientIdleTimeoutSeconds?: number;
  /** Log each request to stderr. @default false */
  logRequests?: boolean;
  /** Host names the port answers to besides localhost, 127.0.0.1 and [::1] (DNS-rebinding guard). @default none */
  allowedHosts?: readonly string[];
}
