import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SignJWT } from 'jose';
import type { StorageOutputs } from '../../app/library/index.ts';
import { VerificationSetupError } from './verification-errors.ts';

/** A signed-in test user of the run: its app user id (for the report) and tenant claim. */
export interface TestUser {
  userId: string;
  tenant?: string;
}

/** How the run gets session tokens for its test users. */
export type SessionSource =
  | { kind: 'development' }
  | { kind: 'hmac'; secretArn: string }
  | { kind: 'given'; sessions: Record<string, string> };

/** A session from the local token service's development sign-in (`POST /v1/dev/session`); undefined when the deployment has none (404). */
export async function developmentSession(outputs: StorageOutputs, user: TestUser): Promise<string | undefined> {
  const response = await fetch(`${outputs.tokenServiceUrl}/v1/dev/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: user.userId, ...(user.tenant ? { tenant: user.tenant } : {}) }),
  }).catch((error: Error) => {
    throw new VerificationSetupError('token_service_unreachable', `the token service at ${outputs.tokenServiceUrl} did not answer: ${error.message}`);
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new VerificationSetupError('sign_in_failed', `the development sign-in of ${user.userId} failed: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return ((await response.json()) as { sessionToken: string }).sessionToken;
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[\w/+=.@-]+$/;

/** The HS256 signing secret, read from Secrets Manager with the caller's (the admin's) AWS credentials. */
export async function readHmacSecret(secretArn: string): Promise<string> {
  // The ARN names the secret's region: arn:aws:secretsmanager:<region>:<account>:secret:<name>.
  const match = SECRET_ARN.exec(secretArn);
  if (!match) throw new VerificationSetupError('usage', `${JSON.stringify(secretArn.slice(0, 120))} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`);
  const client = new SecretsManagerClient({ region: match[1]! });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString) throw new VerificationSetupError('hmac_secret_unreadable', `the secret ${secretArn} has no SecretString`);
    return SecretString;
  } catch (error) {
    if (error instanceof VerificationSetupError) throw error;
    throw new VerificationSetupError('hmac_secret_unreadable', `could not read the session signing secret ${secretArn} with your AWS credentials: ${(error as Error).name}: ${(error as Error).message}`);
  } finally {
    client.destroy();
  }
}

/** An HS256 session as the app backend would sign it (README "HS256 sessions"), valid for an hour. */
export async function hmacSession(outputs: StorageOutputs, secret: string, user: TestUser): Promise<string> {
  return new SignJWT(user.tenant ? { tenant: user.tenant } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.userId)
    .setIssuer(outputs.developerProviderName)
    .setAudience(outputs.identityPoolId)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}
