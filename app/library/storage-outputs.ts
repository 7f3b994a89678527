import { StorageError } from './storage-errors.ts';

/**
 * What a client needs to know about a deployment. The deployed stack's outputs file
 * (`cdk deploy --outputs-file`) and the local cloud's `.local/outputs.json` carry the same keys;
 * the local one adds endpoints and the CA certificate of its HTTPS server.
 */
export interface StorageOutputs {
  region: string;
  bucket: string;
  identityPoolId: string;
  developerProviderName: string;
  tokenServiceUrl: string;
  endpoints?: {
    cognitoIdentity?: string;
    s3?: string;
  };
  /** Path of the CA certificate that signed the local cloud's HTTPS certificate. */
  caCertificate?: string;
}

const REQUIRED_KEYS = ['region', 'bucket', 'identityPoolId', 'developerProviderName', 'tokenServiceUrl'] as const;

/**
 * Accepts the local outputs (flat) and the `cdk deploy --outputs-file` shape (one object per
 * stack name); with several stacks, `stackName` picks one.
 */
export function parseStorageOutputs(value: unknown, source = 'outputs', stackName?: string): StorageOutputs {
  if (!isRecord(value)) throw invalid(source, 'is not a JSON object');
  let candidate: Record<string, unknown> = value;
  if (!('bucket' in value)) {
    const stacks = Object.entries(value).filter(([, entry]) => isRecord(entry) && 'bucket' in entry);
    const chosen = stackName ? stacks.find(([name]) => name === stackName) : stacks.length === 1 ? stacks[0] : undefined;
    if (!chosen) {
      const names = stacks.map(([name]) => name).join(', ') || 'none';
      throw invalid(source, stackName ? `has no stack "${stackName}" (stacks: ${names})` : `must hold one stack's outputs (found: ${names})`);
    }
    candidate = chosen[1] as Record<string, unknown>;
  }
  for (const key of REQUIRED_KEYS) {
    if (typeof candidate[key] !== 'string' || candidate[key] === '') throw invalid(source, `lacks "${key}"`);
  }
  const endpoints = isRecord(candidate.endpoints) ? candidate.endpoints : undefined;
  return {
    region: candidate.region as string,
    bucket: candidate.bucket as string,
    identityPoolId: candidate.identityPoolId as string,
    developerProviderName: candidate.developerProviderName as string,
    tokenServiceUrl: (candidate.tokenServiceUrl as string).replace(/\/+$/, ''),
    ...(endpoints
      ? {
          endpoints: {
            ...(typeof endpoints.cognitoIdentity === 'string' ? { cognitoIdentity: endpoints.cognitoIdentity } : {}),
            ...(typeof endpoints.s3 === 'string' ? { s3: endpoints.s3 } : {}),
          },
        }
      : {}),
    ...(typeof candidate.caCertificate === 'string' ? { caCertificate: candidate.caCertificate } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(source: string, fault: string): StorageError {
  return new StorageError('InvalidConfiguration', `${source} ${fault}; expected the local cloud's .local/outputs.json or a file from "cdk deploy --outputs-file".`);
}
