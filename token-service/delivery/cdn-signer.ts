import { createPrivateKey } from 'node:crypto';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';

/** CloudFront accepts RSA 2048 keys in a key group (docs/delivery.md: the key pair the stack creates). */
const RSA_MODULUS_BITS = 2048;
/** The URL carries `Hash-Algorithm=SHA256`; SHA1 stays the default only for old signers. */
const HASH_ALGORITHM = 'SHA256';

export type CdnCookies = {
  'CloudFront-Policy': string;
  'CloudFront-Signature': string;
  'CloudFront-Key-Pair-Id': string;
  'CloudFront-Hash-Algorithm'?: string;
};

/** The private key could not be read (Secrets Manager refused or is unreachable); a later request tries again. */
export class PrivateKeyUnavailableError extends Error {
  override readonly name = 'PrivateKeyUnavailableError';
}

/** Why a PEM is not a key CloudFront would verify with, or undefined when it is. */
export function privateKeyProblem(pem: string): string | undefined {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    return 'is not a PEM private key';
  }
  if (key.asymmetricKeyType !== 'rsa') return `is a ${key.asymmetricKeyType ?? 'non-RSA'} key; CloudFront key groups take RSA keys`;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits !== RSA_MODULUS_BITS) return `is an RSA ${bits}-bit key; CloudFront key groups take RSA ${RSA_MODULUS_BITS}-bit keys`;
  return undefined;
}

/**
 * Signs CDN URLs and cookies with the distribution's key pair through `@aws-sdk/cloudfront-signer`
 * (never by hand). A key read from a secret is read once and kept; a failed read is not kept.
 */
export class CdnSigner {
  private privateKey: Promise<string> | undefined;

  constructor(
    private readonly keyPairId: string,
    private readonly keySource: { pem: string } | { load: () => Promise<string> },
  ) {
    if ('pem' in keySource) {
      const problem = privateKeyProblem(keySource.pem);
      if (problem) throw new Error(`The CDN private key ${problem}.`);
      this.privateKey = Promise.resolve(keySource.pem);
    }
  }

  /** A canned-policy signed URL valid until `expiresAtSeconds` (epoch seconds). */
  async signUrl(url: string, expiresAtSeconds: number): Promise<string> {
    return getSignedUrl({ url, keyPairId: this.keyPairId, privateKey: await this.key(), dateLessThan: new Date(expiresAtSeconds * 1000), algorithm: HASH_ALGORITHM });
  }

  /** Custom-policy cookies for every URL matching `resource` (`*` and `?` wildcards) until `expiresAtSeconds`. */
  async signCookies(resource: string, expiresAtSeconds: number): Promise<CdnCookies> {
    const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expiresAtSeconds } } }] });
    const signed = getSignedCookies({ policy, keyPairId: this.keyPairId, privateKey: await this.key(), algorithm: HASH_ALGORITHM });
    return {
      'CloudFront-Policy': signed['CloudFront-Policy']!,
      'CloudFront-Signature': signed['CloudFront-Signature'],
      'CloudFront-Key-Pair-Id': signed['CloudFront-Key-Pair-Id'],
      ...(signed['CloudFront-Hash-Algorithm'] === undefined ? {} : { 'CloudFront-Hash-Algorithm': signed['CloudFront-Hash-Algorithm'] }),
    };
  }

  private key(): Promise<string> {
    if (this.privateKey === undefined && 'load' in this.keySource) {
      const loading = this.keySource.load().then(
        (pem) => {
          const problem = privateKeyProblem(pem);
          if (problem) throw new Error(`The CDN private key read from its secret ${problem}.`);
          return pem;
        },
        (error: unknown) => {
          throw new PrivateKeyUnavailableError('The CDN private key could not be read.', { cause: error });
        },
      );
      this.privateKey = loading;
      loading.catch(() => {
        if (this.privateKey === loading) this.privateKey = undefined;
      });
    }
    return this.privateKey!;
  }
}
