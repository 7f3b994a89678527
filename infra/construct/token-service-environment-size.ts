import { Token, Tokenization } from 'aws-cdk-lib';
import { ScopedStoragePropsError } from './scoped-storage-props-error.ts';

/** Lambda's quota for a function's environment: keys and values together, in bytes. */
export const MAX_LAMBDA_ENVIRONMENT_BYTES = 4096;

/**
 * What an unresolved value (an identity pool id, a distribution's domain, a secret's ARN) is
 * counted as: longer than any of those the stack passes, so a template that passes this check
 * also fits once deployed.
 */
export const UNRESOLVED_VALUE_BYTES = 256;

/** The environment's size as Lambda counts it (keys and values), unresolved parts counted as `UNRESOLVED_VALUE_BYTES`. */
export function environmentBytes(environment: Readonly<Record<string, string>>): number {
  return Object.entries(environment).reduce((total, [key, value]) => total + Buffer.byteLength(key) + valueBytes(value), 0);
}

function valueBytes(value: string): number {
  if (!Token.isUnresolved(value)) return Buffer.byteLength(value);
  const standIn = 'x'.repeat(UNRESOLVED_VALUE_BYTES);
  const text = Tokenization.reverseString(value)
    .mapTokens({ mapToken: () => standIn })
    .join({ join: (left: unknown, right: unknown) => `${String(left)}${String(right)}` }) as unknown;
  return Buffer.byteLength(String(text));
}

/** Fails synthesis, naming the biggest variables, when the function's environment would not fit Lambda's quota. */
export function assertEnvironmentFits(environment: Readonly<Record<string, string>>): void {
  const bytes = environmentBytes(environment);
  if (bytes <= MAX_LAMBDA_ENVIRONMENT_BYTES) return;
  const biggest = Object.entries(environment)
    .map(([key, value]) => ({ key, bytes: Buffer.byteLength(key) + valueBytes(value) }))
    .sort((left, right) => right.bytes - left.bytes)
    .slice(0, 3)
    .map((entry) => `${entry.key} ${entry.bytes}`)
    .join(', ');
  throw new ScopedStoragePropsError(
    `The token service's environment would be about ${bytes} bytes, over Lambda's limit of ${MAX_LAMBDA_ENVIRONMENT_BYTES} bytes for all variables together (biggest: ${biggest}; values known only at deployment counted as ${UNRESOLVED_VALUE_BYTES}). TOKEN_SERVICE_LOCATIONS carries the access rules: use fewer rules, shorter prefixes or shorter names.`,
  );
}
