import { expect } from 'vitest';
import { StorageError, type ScopedStorageClient } from '../../../app/library/index.ts';

/** Awaits a call that must fail with a StorageError of `code`, and returns that error. */
export async function expectStorageError(call: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected StorageError ${code}`).toBeInstanceOf(StorageError);
  expect((error as StorageError).code, (error as Error).message).toBe(code);
  return error as StorageError;
}

/** Counts the SDK commands a client sends, by name. */
export function countCommands(client: ScopedStorageClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.s3.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName!, (counts.get(context.commandName!) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize' },
  );
  return counts;
}
