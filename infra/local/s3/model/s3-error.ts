/**
 * An error S3 answers with. `code` is S3's error code; `details` become extra elements of the
 * `<Error>` document (`Key`, `UploadId`, `Condition`, ...). The HTTP status of each code is
 * decided in one place, `protocol/render-error.ts`.
 */
export abstract class S3Error extends Error {
  abstract readonly code: string;
  readonly details: Record<string, string>;

  constructor(message: string, details: Record<string, string> = {}) {
    super(message);
    this.details = details;
  }

  override get name(): string {
    return this.code;
  }
}
