import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The Lambda behind `Custom::CloudFrontKeyPair`: creates an RSA 2048 key pair, keeps the private
 * key only in a new Secrets Manager secret, and answers CloudFormation with the public key and
 * the secret's ARN. Nothing here logs or returns the private key.
 */

interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: { SecretNamePrefix?: string; Description?: string };
}

/** Days Secrets Manager keeps a deleted key's secret restorable (7 is its minimum). */
const RECOVERY_WINDOW_DAYS = 7;

const secrets = new SecretsManagerClient({});

export async function handler(event: CustomResourceEvent): Promise<void> {
  let physicalResourceId = event.PhysicalResourceId ?? `${event.LogicalResourceId}-not-created`;
  try {
    if (event.RequestType === 'Create') {
      const created = await createKeyPair(event.ResourceProperties);
      physicalResourceId = created.SecretArn;
      await respond(event, 'SUCCESS', physicalResourceId, created);
    } else if (event.RequestType === 'Update') {
      await respond(event, 'SUCCESS', physicalResourceId, await describeKeyPair(physicalResourceId));
    } else {
      if (physicalResourceId.startsWith('arn:')) {
        await secrets.send(new DeleteSecretCommand({ SecretId: physicalResourceId, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS })).catch((error: unknown) => {
          if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
        });
      }
      await respond(event, 'SUCCESS', physicalResourceId);
    }
  } catch (error) {
    const reason = `${(error as { name?: string }).name ?? 'Error'}: ${(error as { message?: string }).message ?? 'failed'}`;
    await respond(event, 'FAILED', physicalResourceId, undefined, reason.slice(0, 500));
  }
}

async function createKeyPair(properties: CustomResourceEvent['ResourceProperties']): Promise<{ PublicKeyPem: string; SecretArn: string }> {
  const prefix = properties.SecretNamePrefix;
  if (!prefix) throw new Error('SecretNamePrefix is required');
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  // A fresh name each time: a deleted slot's secret stays reserved through its recovery window.
  const created = await secrets.send(
    new CreateSecretCommand({ Name: `${prefix}-${randomBytes(4).toString('hex')}`, Description: properties.Description, SecretString: privateKey }),
  );
  if (!created.ARN) throw new Error('CreateSecret returned no ARN');
  return { PublicKeyPem: publicKey, SecretArn: created.ARN };
}

/** An update changes nothing: the same key pair, its public half derived again from the secret. */
async function describeKeyPair(secretArn: string): Promise<{ PublicKeyPem: string; SecretArn: string }> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!secret.SecretString) throw new Error('the key pair secret is empty');
  const publicKey = createPublicKey(secret.SecretString).export({ type: 'spki', format: 'pem' }).toString();
  return { PublicKeyPem: publicKey, SecretArn: secretArn };
}

async function respond(event: CustomResourceEvent, status: 'SUCCESS' | 'FAILED', physicalResourceId: string, data?: Record<string, string>, reason?: string): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ?? status,
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: data,
  });
  // The pre-signed response URL is signed without a content type.
  const answer = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!answer.ok) throw new Error(`CloudFormation refused the response: ${answer.status}`);
}
