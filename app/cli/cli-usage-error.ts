/** Why a command line cannot be run as typed; every one exits with the usage code (2). */
export type CliUsageErrorCode =
  | 'EmptyKey'
  | 'InvalidLocationName'
  | 'UnknownLocation'
  | 'AbsoluteKey'
  | 'IdentityMissing'
  | 'FolderExpected'
  | 'FileExpected'
  | 'NoRemoteSide'
  | 'ConfirmationRequired'
  | 'ConflictingOptions'
  | 'RefusedRequest';

/** A mistake in what the user typed, found before any request is sent. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  constructor(
    readonly code: CliUsageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
