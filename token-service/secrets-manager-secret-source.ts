import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { SecretSource } from './authenticators/hmac-authenticator.ts';

export interface SecretsManagerSecretOptions {
  /** ARN of a secret whose SecretString is the value. */
  secretArn: string;
  /** @default the ARN's region */
  region?: string;
  /** @default `https://secretsmanager.<region>.amazonaws.com` */
  endpoint?: string;
  /** @default the default credential chain (the function's role on Lambda) */
  credentials?: AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
}

/**
 * Reads a secret with one SigV4-signed `GetSecretValue` call, using only packages the project
 * already has (the Secrets Manager client would be a new dependency for a single call).
 */
export function secretsManagerSecretSource(options: SecretsManagerSecretOptions): SecretSource {
  const region = options.region ?? options.secretArn.split(':')[3];
  if (!region) throw new Error(`"${options.secretArn}" is not a Secrets Manager secret ARN.`);
  const endpoint = new URL(options.endpoint ?? `https://secretsmanager.${region}.amazonaws.com/`);
  const signer = new SignatureV4({ service: 'secretsmanager', region, credentials: options.credentials ?? fromNodeProviderChain(), sha256: Hash.bind(null, 'sha256') });
  const send = options.fetch ?? fetch;

  return async () => {
    const body = JSON.stringify({ SecretId: options.secretArn });
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port === '' ? undefined : Number(endpoint.port),
      path: endpoint.pathname,
      headers: { host: endpoint.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body,
    });
    const response = await send(endpoint, { method: 'POST', headers: signed.headers, body });
    const answer = (await response.json().catch(() => ({}))) as { SecretString?: unknown; __type?: unknown };
    if (!response.ok) throw new Error(`Secrets Manager refused GetSecretValue (${response.status} ${String(answer.__type ?? '')}).`);
    if (typeof answer.SecretString !== 'string') throw new Error('The secret has no SecretString.');
    return answer.SecretString;
  };
}
