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
