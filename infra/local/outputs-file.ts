import { join } from 'node:path';
import { writeFileAtomic } from './persistence/atomic-file.ts';

/** The local cloud's outputs: the deployed stack's keys plus where the local endpoints are. */
export interface LocalOutputs {
  region: string;
  bucket: string;
  identityPoolId: string;
  developerProviderName: string;
  tokenServiceUrl?: string;
  endpoints: { cognitoIdentity: string; s3: string };
  caCertificate: string;
  /** Where the OpenID tokens' signing keys are published (Cognito's `jwks_uri`). */
  jwksUrl: string;
}

export async function writeOutputsFile(stateDirectory: string, outputs: LocalOutputs): Promise<string> {
  const path = join(stateDirectory, 'outputs.json');
  await writeFileAtomic(path, `${JSON.stringify(outputs, null, 2)}\n`);
  return path;
}
