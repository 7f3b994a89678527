import { SerializationException, UnknownOperationException } from '../cognito-errors.ts';
import { isOperationName, type OperationName } from './operation-inputs.ts';

const TARGET_PREFIX = 'AWSCognitoIdentityService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

interface JsonRequest {
  operation: OperationName;
  input: Record<string, unknown>;
}

/** Checks the AWS JSON 1.1 framing (target header, content type, a JSON object body) of one request. */
export function parseJsonRequest(headers: { target: string | undefined; contentType: string | undefined }, body: Buffer): JsonRequest {
  const target = headers.target ?? '';
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (!isOperationName(operation)) {
    throw new UnknownOperationException(target === '' ? 'Missing X-Amz-Target header.' : `Unknown operation '${target}'.`);
  }
  const mediaType = (headers.contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== CONTENT_TYPE) {
    throw new SerializationException(`Content-Type must be ${CONTENT_TYPE} (got '${headers.contentType ?? ''}').`);
  }
  let input: unknown;
  try {
    // The SDK sends "{}" for operations without members; an empty body means the same.
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new SerializationException('Request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SerializationException('Request body must be a JSON object.');
  }
  return { operation, input: input as Record<string, unknown> };
}
