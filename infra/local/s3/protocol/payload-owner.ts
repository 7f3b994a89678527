import type { IncomingMessage } from 'node:http';
import { openVerifiedPayload, type VerifiedPayload } from './open-verified-payload.ts';
import type { VerifiedSigV4Request } from './verify-sigv4.ts';

/**
 * Owns the verified body of one request for as long as the request is being served. An operation
 * may give up on a body before reading it (a declared length over a limit, a missing header);
 * the checking stream still fails later when the body turns out short or wrong, and a stream
 * failing with nobody listening takes the whole process down. The owner listens from the moment
 * the stream exists and closes whatever is left of it when the request is done.
 */
export class PayloadOwner {
  private payload: VerifiedPayload | undefined;

  constructor(
    private readonly request: IncomingMessage,
    private readonly verified: VerifiedSigV4Request,
  ) {}

  /** Opens the body (once; a second call is a programming error). */
  open(): VerifiedPayload {
    if (this.payload) throw new Error('The request body was already opened.');
    const payload = openVerifiedPayload(this.request, this.verified);
    // The reader sees failures through its own listeners; this one only keeps a late failure, after the reader has gone, from being unhandled.
    payload.body.on('error', () => undefined);
    this.payload = payload;
    return payload;
  }

  /** Closes the body stream if the operation left it unfinished (the request unpipes from it); unread request bytes are the caller's to drain. */
  release(): void {
    const body = this.payload?.body;
    if (body && !body.readableEnded && !body.destroyed) body.destroy();
  }
}
