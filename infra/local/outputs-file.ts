import { join } from 'node:path';
import type { PublishedLocation } from '../access-rules/index.ts';
import { writeFileAtomic } from './persistence/atomic-file.ts';

/** The local cloud's outputs: the deployed stack's keys plus where the local endpoints are. */
export interface LocalOutputs {
  region: string;
  bucket: string;
  identityPoolId: string;
  developerProviderName: string;
  tokenServiceUrl?: string;
  /** The access rules as clients see them (the stack's `locations` output, parsed). */
  locations: PublishedLocation[];
  /** Whether the identity pool hands out guest identities (the stack's `guestsAllowed` output, parsed). */
  guestsAllowed: boolean;
  /** Whether uploads must send `x-amz-server-side-encryption` (the stack's `encryptionHeaderRequired` output, parsed), when the stack says. */
  encryptionHeaderRequired?: boolean;
  /** The bucket's KMS key (the stack's `encryptionKeyArn` output), when it has one. */
  encryptionKeyArn?: string;
  /** Base URL of the local CDN (the stack's `cdnUrl` output), when the stack has a distribution: `<cdnUrl>/<key>`. */
  cdnUrl?: string;
  /** `cdn`: the same as `cdnUrl`. */
  endpoints: { cognitoIdentity: string; s3: string; cdn?: string };
  caCertificate: string;
  /** Where the OpenID tokens' signing keys are published (Cognito's `jwks_uri`). */
  jwksUrl: string;
}

export async function writeOutputsFile(stateDirectory: string, outputs: LocalOutputs): Promise<string> {
  const path = join(stateDirectory, 'outputs.json');
  await writeFileAtomic(path, `${JSON.stringify(outputs, null, 2)}\n`);
  return path;
}

/** A synthesized stack whose outputs lack what the local outputs file must carry. */
class IncompleteStackOutputsError extends Error {
  override readonly name = 'IncompleteStackOutputsError';
}

/**
 * The stack's `locations` (JSON text) and `guestsAllowed` (`"true"`/`"false"`) outputs as the
 * local file holds them: the array and a boolean.
 */
export function locationOutputs(stackOutputs: Record<string, string>): Pick<LocalOutputs, 'locations' | 'guestsAllowed'> {
  const { locations, guestsAllowed } = stackOutputs;
  if (locations === undefined || (guestsAllowed !== 'true' && guestsAllowed !== 'false')) {
    throw new IncompleteStackOutputsError('The synthesized stack has no locations or guestsAllowed output; the local cloud publishes both.');
  }
  return { locations: JSON.parse(locations) as PublishedLocation[], guestsAllowed: guestsAllowed === 'true' };
}
