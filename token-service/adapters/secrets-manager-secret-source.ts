import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { SecretSource } from '../authenticators/hmac-authenticator.ts';

export interface SecretsManagerSecretOptions {
  /** ARN of a secret whose SecretString is the value; the client talks to the ARN's region. */
  secretArn: string;
  /** @default `https://secretsmanager.<region>.amazonaws.com` */
  endpoint?: string;
  /** @default the default credential chain (the function's role on Lambda) */
  credentials?: AwsCredentialIdentityProvider;
}

/** Reads a secret's `SecretString` with `GetSecretValue` (on Lambda the SDK comes with the runtime). */
export function secretsManagerSecretSource(options: SecretsManagerSecretOptions): SecretSource {
  const region = options.secretArn.split(':')[3];
  if (!region) throw new Error(`"${options.secretArn}" is not a Secrets Manager secret ARN.`);
  const client = new SecretsManagerClient({
    region,
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
  });

  return async () => {
    let secretString: string | undefined;
    try {
      ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: options.secretArn })));
    } catch (error) {
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      throw new Error(`Secrets Manager refused GetSecretValue (${$metadata?.httpStatusCode ?? 'no answer'} ${name ?? ''}).`, { cause: error });
    }
    if (typeof secretString !== 'string') throw new Error('The secret has no SecretString.');
    return secretString;
  };
}
