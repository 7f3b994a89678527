/** Why a verification could not run (exit 2): bad arguments, an unreadable outputs file, a failed sign-in. */
export class VerificationSetupError extends Error {
  override readonly name = 'VerificationSetupError';
  constructor(
    readonly code: 'usage' | 'outputs_unreadable' | 'token_service_unreachable' | 'sign_in_failed' | 'no_sign_in' | 'hmac_secret_unreadable' | 'sentinels_failed',
    message: string,
  ) {
    super(message);
  }
}

/** The run was interrupted (SIGINT, SIGTERM) and cleaned up after itself: what it removed and what is left (exit 130). */
export class VerificationInterrupted extends Error {
  override readonly name = 'VerificationInterrupted';
  readonly code = 'interrupted';
  constructor(
    readonly runTag: string,
    readonly removed: { uploadsAborted: number; objectsDeleted: number; identitiesUnlinked: string[] },
    readonly leftBehind: string[],
    readonly identitiesKept: string[],
  ) {
    super(`run ${runTag} interrupted`);
  }
}
