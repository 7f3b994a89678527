import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ScopedStorageClient, type ScopedStorageClientOptions } from '../scoped-storage-client.ts';
import { StorageError } from '../storage-errors.ts';
import { parseStorageOutputs, type StorageOutputs } from '../storage-outputs.ts';

/** Reads a deployment's outputs file: the local cloud's `.local/outputs.json` or `cdk deploy --outputs-file`. */
export async function readStorageOutputsFile(path: string, stackName?: string): Promise<StorageOutputs> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StorageError('InvalidConfiguration', `Cannot read the outputs file ${path}: ${(error as Error).message}. Start the local cloud (npm run local) or deploy the stack first.`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StorageError('InvalidConfiguration', `${path} is not valid JSON.`, { cause: error });
  }
  return parseStorageOutputs(parsed, path, stackName);
}

/**
 * An HTTP handler for the AWS clients that also trusts the local cloud's CA (when the outputs
 * name one), with as many sockets as the upload concurrency needs.
 */
export async function createNodeRequestHandler(outputs: StorageOutputs, maxSockets = 32): Promise<NodeHttpHandler> {
  const ca = outputs.caCertificate ? await readFile(outputs.caCertificate, 'utf8') : undefined;
  return new NodeHttpHandler({ httpsAgent: new Agent({ keepAlive: true, maxSockets, ...(ca ? { ca } : {}) }) });
}

/** A client configured from an outputs file, ready for Node (CLI, scripts, tests). */
export async function createNodeStorageClient(
  outputsPath: string,
  options: Omit<ScopedStorageClientOptions, 'outputs' | 'requestHandler'> & { stackName?: string },
): Promise<ScopedStorageClient> {
  const outputs = await readStorageOutputsFile(outputsPath, options.stackName);
  return new ScopedStorageClient({ ...options, outputs, requestHandler: await createNodeRequestHandler(outputs) });
}
