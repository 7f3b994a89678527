import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { readJsonFile, writeFileAtomic } from '../../persistence/atomic-file.ts';

/** Cognito Identity signs its OpenID tokens with RSA and SHA-512. */
export const OPENID_TOKEN_ALGORITHM = 'RS512';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public half as served in the JWKS. */
  publicJwk: JWK;
}

interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
}

/**
 * The key pair that signs OpenID tokens, generated on first start and kept in
 * `<dataDirectory>/cognito/signing-key.json`, so tokens and cached JWKS stay valid across restarts.
 * The `kid` looks like AWS's (`<region>-...`) and is derived from the public key, so a new key
 * (after the data directory was wiped) never reuses an old kid that clients may have cached.
 */
export async function loadOrCreateSigningKey(dataDirectory: string, region: string): Promise<SigningKey> {
  const path = join(dataDirectory, 'cognito', 'signing-key.json');
  const stored = await readJsonFile<StoredSigningKey>(path);
  if (stored) return fromPrivateJwk(stored.kid, stored.privateJwk);

  const { privateKey } = await generateKeyPair(OPENID_TOKEN_ALGORITHM, { extractable: true, modulusLength: 2048 });
  const privateJwk = await exportJWK(privateKey);
  const kid = `${region}-${createHash('sha256').update(privateJwk.n ?? '').digest('hex').slice(0, 8)}`;
  await writeFileAtomic(path, JSON.stringify({ kid, privateJwk } satisfies StoredSigningKey));
  return fromPrivateJwk(kid, privateJwk);
}

async function fromPrivateJwk(kid: string, privateJwk: JWK): Promise<SigningKey> {
  const { kty, n, e } = privateJwk;
  const publicJwk: JWK = { kty, n, e, kid, alg: OPENID_TOKEN_ALGORITHM, use: 'sig' };
  return {
    kid,
    privateKey: (await importJWK(privateJwk, OPENID_TOKEN_ALGORITHM)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, OPENID_TOKEN_ALGORITHM)) as CryptoKey,
    publicJwk,
  };
}
