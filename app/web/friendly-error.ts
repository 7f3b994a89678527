import { StorageError } from '../library/index.ts';

/** Words a person understands for what went wrong, and what to do about it. */
export function friendlyError(error: unknown): string {
  if (!(error instanceof StorageError)) return `Something went wrong: ${(error as Error)?.message ?? String(error)}`;
  switch (error.code) {
    case 'AccessDenied':
    case 'LinkDenied':
      return 'You are not allowed to do that here.';
    case 'DeliveryNotConfigured':
      return 'This deployment has no CDN, so there are no CDN links or photo grid.';
    case 'NotFound':
      return 'That file or folder does not exist (any more). The list has been refreshed.';
    case 'Expired':
    case 'SignInRequired':
      return 'Your sign-in has expired. Please sign in again.';
    case 'Conflict':
      return 'The file changed while you were working on it. Try again.';
    case 'AlreadyExists':
      return 'A file with that name already exists.';
    case 'TooLarge':
      return `That file is too large: ${error.message}`;
    case 'Network':
      return 'The storage service cannot be reached. Check your connection and that the local cloud is running.';
    case 'Aborted':
      return 'Cancelled.';
    case 'InvalidKey':
      return `That name cannot be used: ${error.message}`;
    case 'InvalidLocation':
    case 'InvalidArgument':
      return error.message;
    case 'RateLimited':
      return 'Too many requests right now. Wait a moment and try again.';
    default:
      return `The storage service had a problem: ${error.message}`;
  }
}
