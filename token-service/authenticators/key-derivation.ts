import { hkdfSync } from 'node:crypto';

/** A 32-byte key for one purpose from a secret of the deployment (HKDF-SHA256), so no secret serves two uses directly. */
export function deriveKey(secret: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), purpose, 32));
}
