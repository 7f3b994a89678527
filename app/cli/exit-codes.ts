import type { StorageErrorCode } from '../library/index.ts';

/** Exit codes scripts can branch on. */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  signInRequired: 3,
  accessDenied: 4,
  notFound: 5,
  conflict: 6,
  network: 7,
  expired: 8,
  aborted: 130,
} as const;

export function exitCodeFor(code: StorageErrorCode): number {
  switch (code) {
    case 'SignInRequired':
      return EXIT_CODES.signInRequired;
    // InvalidLocation: the library refused an operation the location does not allow, before S3 would.
    case 'AccessDenied':
    case 'InvalidLocation':
    case 'LinkDenied':
      return EXIT_CODES.accessDenied;
    case 'NotFound':
      return EXIT_CODES.notFound;
    case 'Conflict':
    case 'AlreadyExists':
      return EXIT_CODES.conflict;
    case 'Network':
      return EXIT_CODES.network;
    case 'Expired':
      return EXIT_CODES.expired;
    case 'Aborted':
      return EXIT_CODES.aborted;
    case 'InvalidKey':
    case 'InvalidConfiguration':
    case 'DeliveryNotConfigured':
    case 'InvalidArgument':
      return EXIT_CODES.usage;
    default:
      return EXIT_CODES.failure;
  }
}
