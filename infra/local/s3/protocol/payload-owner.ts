import type { IncomingMessage } from 'node:http';
import { openVerifiedPayload, type VerifiedPayload } from '../../sigv4/open-verified-payload.ts';
import type { VerifiedSigV4Request } from '../../sigv4/verify-sigv4.ts';
import { RequestTimeout } from '../s3-errors.ts';

/**
 * Owns the verified body of one request for as long as the request is being served. An operation
 * may give up on a body before reading it (a declared length over a limit, a missing header);
 * the checking stream still fails later when the body turns out short or wrong, and a stream
 * failing with nobody listening takes the whole process down. The owner listens from the moment
 * the stream exists and closes whatever is left of it when the request is done. A body that
 * stops arriving for `idleTimeoutMs` fails with S3's `RequestTimeout`, as S3 does, so a stalled
 * client cannot hold a connection and a staged file forever.
 */
export class PayloadOwner {
  private payload: VerifiedPayload | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: IncomingMessage,
    private readonly verified: VerifiedSigV4Request,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Opens the body (once; a second call is a programming error). */
  open(): VerifiedPayload {
    if (this.payload) throw new Error('The request body was already opened.');
    const payload = openVerifiedPayload(this.request, this.verified);
    // The reader sees failures through its own listeners; this one only keeps a late failure, after the reader has gone, from being unhandled.
    payload.body.on('error', () => undefined);
    this.payload = payload;
    if (!this.request.complete) this.watchForStall(payload);
    return payload;
  }

  /** Closes the body stream if the operation left it unfinished (the request unpipes from it); unread request bytes are the caller's to drain. */
  release(): void {
    clearTimeout(this.idleTimer);
    const body = this.payload?.body;
    if (body && !body.readableEnded && !body.destroyed) body.destroy();
  }

  private watchForStall(payload: VerifiedPayload): void {
    const idleTimer = setTimeout(() => payload.body.destroy(new RequestTimeout()), this.idleTimeoutMs);
    this.idleTimer = idleTimer;
    // One timer restarted in place on every chunk, rather than a new timer per chunk.
    const restart = (): void => {
      idleTimer.refresh();
    };
    const stop = (): void => {
      clearTimeout(idleTimer);
      this.request.off('data', restart);
    };
    this.request.on('data', restart);
    this.request.once('end', stop);
    this.request.once('close', stop);
  }
}
