import { S3Client } from '@aws-sdk/client-s3';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { ScopedStorageClient, type StorageOutputs } from '../../app/library/index.ts';
import { newPersona, type Persona, type PersonaName } from './matrix-world.ts';

/** An S3 client for one persona: the deployment's endpoint (AWS's when the outputs name none), no retries, so every answer counts once. */
export function matrixS3Client(outputs: StorageOutputs, requestHandler: NodeHttpHandler, credentials: S3Client['config']['credentials']): S3Client {
  const endpoint = outputs.endpoints?.s3;
  return new S3Client({ region: outputs.region, ...(endpoint ? { endpoint, forcePathStyle: true } : {}), credentials, requestHandler, maxAttempts: 1 });
}

/** Where raw path-style requests go: the outputs' S3 endpoint, else the region's. */
export function s3EndpointOf(outputs: StorageOutputs): string {
  return outputs.endpoints?.s3 ?? `https://s3.${outputs.region}.${outputs.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/**
 * Signs a persona in through the deployment's own token service and Cognito, with the client
 * library as an app would (`sessionToken` undefined: a guest). Its tenant is the `tenant` tag the
 * token service granted.
 */
export async function signInPersona(outputs: StorageOutputs, requestHandler: NodeHttpHandler, name: PersonaName, sessionToken: string | undefined): Promise<Persona> {
  const client = new ScopedStorageClient({ outputs, requestHandler, ...(sessionToken === undefined ? {} : { getSessionToken: () => sessionToken }) });
  const { identityId, prefix, principalTags } = await client.whoami();
  const tenant = principalTags.tenant;
  return newPersona({ name, ...(tenant ? { tenant } : {}), identityId, prefix, s3: matrixS3Client(outputs, requestHandler, client.credentials.provide), credentials: client.credentials.provide, client });
}
