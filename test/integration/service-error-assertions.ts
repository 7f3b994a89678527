import { expect } from 'vitest';

interface ServiceError {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
}

/** Awaits an SDK call that must fail with this error name (S3 code or Cognito `__type`) and, if given, HTTP status. */
export async function expectServiceError(call: Promise<unknown>, code: string, status?: number): Promise<ServiceError> {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as ServiceError | undefined;
  expect(error, `expected ${code}`).toBeDefined();
  expect(error?.name, error?.message).toBe(code);
  if (status !== undefined) expect(error?.$metadata?.httpStatusCode).toBe(status);
  return error as ServiceError;
}

/** For answers without a body (HEAD, 304), where the SDK can name the error only by its status. */
export async function expectHttpStatus(call: Promise<unknown>, status: number): Promise<void> {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as ServiceError | undefined;
  expect(error?.$metadata?.httpStatusCode, `expected HTTP ${status}`).toBe(status);
}
