/** Props that cannot produce a safe stack; the message says which prop and why. */
export class ScopedStoragePropsError extends Error {
  override readonly name = 'ScopedStoragePropsError';
}
