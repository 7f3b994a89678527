import { randomBytes } from 'node:crypto';
import type { Authenticator } from '../authenticators/authenticator.ts';
import { deriveKey } from '../authenticators/key-derivation.ts';
import type { LogHashKeySource } from './request-log.ts';

const LOG_USER_HASH_PURPOSE = 'scoped-storage token service: request log user hash';

/**
 * The key of the request log's user hashes: the configured secret; else one derived from the
 * authenticator's own secret (the HMAC session secret, the development signing secret), shared by
 * every instance of the deployment; else a random key per process, whose hashes do not correlate
 * across restarts or instances.
 */
export function logHashKeySource(configuredSecret: string | undefined, authenticator: Authenticator): LogHashKeySource {
  const { derivedKey } = authenticator;
  if (configuredSecret === undefined && derivedKey) return () => derivedKey(LOG_USER_HASH_PURPOSE);
  const key = configuredSecret === undefined ? randomBytes(32) : deriveKey(new TextEncoder().encode(configuredSecret), LOG_USER_HASH_PURPOSE);
  return async () => key;
}
