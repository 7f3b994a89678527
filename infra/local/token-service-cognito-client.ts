import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RunningLocalCloud } from './local-cloud.ts';

/**
 * The Cognito Identity client the token service uses in local mode: the local cloud's HTTPS
 * endpoint (trusting its CA) and the credentials the cloud issued to the token service's role.
 */
export async function createTokenServiceCognitoClient(cloud: RunningLocalCloud): Promise<CognitoIdentityClient> {
  const credentials = cloud.tokenServiceCredentials;
  if (!credentials) throw new Error('The stack has no token service role; the local token service needs it.');
  return new CognitoIdentityClient({
    region: cloud.outputs.region,
    endpoint: cloud.httpsEndpoint,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ keepAlive: true, ca: await readFile(cloud.caCertificatePath) }) }),
  });
}
