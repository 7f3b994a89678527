import { jwtVerify } from 'jose';
import { UpstreamUnavailableError } from '../http/token-service-errors.ts';
import { sessionFromClaims, type Authenticator } from './authenticator.ts';
import { deriveKey } from './key-derivation.ts';
import { sessionRejection } from './session-rejection.ts';

/** Where the shared secret comes from: the environment locally, Secrets Manager in the stack. */
export type SecretSource = () => Promise<string>;

/** HS256 is only as strong as its secret; shorter ones are refused at first use. */
const MIN_SECRET_BYTES = 32;

export interface HmacAuthenticatorOptions {
  secret: SecretSource;
  /** Expected `iss`: who signed the session (the app's backend). */
  issuer: string;
  /** Expected `aud`: the deployment the session is for. */
  audience: string;
  /** @default 30 */
  clockToleranceSeconds?: number;
  /** @default 'sub' */
  userIdClaim?: string;
}

/** Verifies HS256 session tokens signed by the app's backend with a shared secret, for this issuer and audience only. */
export function createHmacAuthenticator(options: HmacAuthenticatorOptions): Authenticator {
  let key: Promise<Uint8Array> | undefined;
  const userIdClaim = options.userIdClaim ?? 'sub';

  function loadKey(): Promise<Uint8Array> {
    key ??= options.secret().then(
      (secret) => {
        const bytes = new TextEncoder().encode(secret);
        if (bytes.length < MIN_SECRET_BYTES) throw new Error(`The HMAC session secret must be at least ${MIN_SECRET_BYTES} bytes long.`);
        return bytes;
      },
      (error: unknown) => {
        throw new UpstreamUnavailableError('The session secret could not be loaded; try again shortly.', 5, { cause: error });
      },
    );
    // A failed load is retried on the next request instead of being remembered.
    key.catch(() => {
      key = undefined;
    });
    return key;
  }

  return {
    derivedKey: async (purpose) => deriveKey(await loadKey(), purpose),
    async authenticate(sessionToken) {
      const secret = await loadKey();
      let payload;
      try {
        ({ payload } = await jwtVerify(sessionToken, secret, {
          algorithms: ['HS256'],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw sessionRejection(error);
      }
      return sessionFromClaims(payload, userIdClaim);
    },
  };
}
