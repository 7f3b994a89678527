import { generateKeyPairSync, createPublicKey, createPrivateKey } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../persistence/atomic-file.ts';

/** The RSA key pair standing in for the `Custom::CloudFrontKeyPair` resource's. */
export interface CdnKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  privateKeyPath: string;
}

/**
 * Where a key pair custom resource's private key lives: `cdn-private-key.pem` for the first in
 * the template (the only one unless keys are being rotated), `cdn-private-key-<logical id>.pem`
 * for the others.
 */
export function cdnPrivateKeyPath(stateDirectory: string, logicalId: string, isFirst: boolean): string {
  return join(stateDirectory, isFirst ? 'cdn-private-key.pem' : `cdn-private-key-${logicalId.replace(/[^A-Za-z0-9]/g, '')}.pem`);
}

/**
 * Loads a CDN signing key from its file, or creates an RSA 2048 key there once (user-only file),
 * so links signed before a restart keep working after it. The public key is derived from the
 * private one, never stored beside it.
 */
export async function loadOrCreateCdnKeyPair(privateKeyPath: string): Promise<CdnKeyPair> {
  let privateKeyPem = await readExistingKey(privateKeyPath);
  if (privateKeyPem === undefined) {
    privateKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFileAtomic(privateKeyPath, privateKeyPem);
  }
  // A copy restored from elsewhere may have kept wider permissions.
  await chmod(privateKeyPath, 0o600);
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKeyPem, publicKeyPem, privateKeyPath };
}

async function readExistingKey(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = createPrivateKey(text);
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) {
    throw new Error(`${path} is not an RSA 2048 private key; remove it and the local cloud makes a new one (links signed with the old key stop working).`);
  }
  return text;
}
