import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import busboy, { type Busboy } from 'busboy';
import {
  IncompleteBody,
  IncorrectNumberOfFilesInPostRequest,
  MalformedPOSTRequest,
  MaxPostPreDataLengthExceeded,
  PreconditionFailed,
  RequestTimeout,
} from '../s3-errors.ts';

/** The form of a POST Object up to its file. */
export interface PostObjectForm {
  /** Fields before the file, by lower-case name (a repeated name keeps its first value). */
  fields: ReadonlyMap<string, string>;
  /** The file's bytes, streaming; it fails with an S3 error when the form breaks off or stalls. */
  file: Readable;
  /** The file name the browser sent (for `${filename}` in the key). */
  fileName: string;
}

/** The parser's limits (the contract's): fields before the file, each field's size, one file. */
const FORM_LIMITS = { fields: 20, fieldSize: 20 * 1024, fieldNameSize: 256, files: 1, parts: 22, headerPairs: 8 };

/** Bytes of a form read after its file (S3 ignores fields there) or after an early answer, before the connection is dropped. */
const MAX_TRAILING_BYTES = 16 * 1024 * 1024;

/**
 * Reads a `multipart/form-data` POST Object body with `busboy`, streaming: the fields are
 * collected until the file part begins, then the file streams on to whoever stores it, so the
 * body is never held in memory. Hostile forms fail with S3's errors, never a crash: a missing
 * boundary, a malformed part, too many or too large fields, no file, a body that breaks off
 * (`IncompleteBody`) or stops arriving (`RequestTimeout`).
 */
export class PostObjectFormReader {
  private parser: Busboy | undefined;
  private file: Readable | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The body stopped arriving: the answer goes out at once, without waiting for the rest. */
  private stalled = false;
  private readonly onData = (): void => this.restartIdleTimer();
  private readonly onClose = (): void => {
    if (!this.request.complete) this.fail(new IncompleteBody('The POST body ended before the form was complete.'));
  };

  constructor(
    private readonly request: IncomingMessage,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Resolves when the file part begins, with the fields before it. */
  read(): Promise<PostObjectForm> {
    const contentType = this.request.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      throw new PreconditionFailed('Bucket POST must be of the enclosure-type multipart/form-data');
    }
    let parser: Busboy;
    try {
      parser = busboy({ headers: this.request.headers, limits: FORM_LIMITS, defParamCharset: 'utf8' });
    } catch {
      throw new MalformedPOSTRequest('The body of your POST request is not well-formed multipart/form-data (no boundary in its Content-Type).');
    }
    this.parser = parser;
    return new Promise<PostObjectForm>((resolve, reject) => {
      const fields = new Map<string, string>();
      let settled = false;
      const settle = (outcome: PostObjectForm | Error): void => {
        if (settled) return;
        settled = true;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      this.fail = (error: Error): void => {
        clearTimeout(this.idleTimer);
        this.file?.destroy(error);
        settle(error);
      };
      parser.on('field', (name, value, info) => {
        if (settled) return;
        if (info.nameTruncated || info.valueTruncated) return this.fail(new MaxPostPreDataLengthExceeded());
        const lowerName = name.toLowerCase();
        // A `file` field without a file name is the file's content as text, as S3 takes it.
        if (lowerName === 'file') return settle({ fields, file: Readable.from([Buffer.from(value, 'utf8')]), fileName: '' });
        if (!fields.has(lowerName)) fields.set(lowerName, value);
      });
      parser.on('file', (name, stream, info) => {
        if (settled || name.toLowerCase() !== 'file') {
          // S3 ignores what follows the file; a file part under another name is not the upload.
          stream.resume();
          return;
        }
        // The parser's own stream fails with plain errors; this one fails only with S3's.
        const file = new PassThrough();
        // The reader sees failures through its own listeners; this one keeps a failure after the reader has gone from being unhandled.
        file.on('error', () => undefined);
        this.file = file;
        stream.on('error', () => this.fail(new MalformedPOSTRequest()));
        stream.pipe(file);
        settle({ fields, file, fileName: info.filename ?? '' });
      });
      parser.on('fieldsLimit', () => this.fail(new MaxPostPreDataLengthExceeded()));
      parser.on('partsLimit', () => this.fail(new MalformedPOSTRequest('The body of your POST request has too many parts.')));
      parser.on('error', () => this.fail(new MalformedPOSTRequest()));
      parser.on('close', () => {
        clearTimeout(this.idleTimer);
        settle(new IncorrectNumberOfFilesInPostRequest());
      });
      this.request.on('data', this.onData);
      this.request.once('close', this.onClose);
      this.request.on('error', () => this.fail(new IncompleteBody('The POST body ended before the form was complete.')));
      this.restartIdleTimer();
      this.request.pipe(parser);
    });
  }

  /**
   * Stops reading the form: the file stream (if unfinished) is closed and the parser detached.
   * What is left of the request (fields after the file, or the rest of a refused upload) is
   * read and dropped before the answer goes out, so a browser still sending sees the answer
   * rather than a reset connection; past a bound, or when it stalls, the connection is dropped.
   */
  async release(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.request.off('data', this.onData);
    this.request.off('close', this.onClose);
    if (this.file && !this.file.readableEnded && !this.file.destroyed) this.file.destroy();
    if (this.parser) {
      this.request.unpipe(this.parser);
      this.parser.on('error', () => undefined);
      this.parser.destroy();
    }
    const { request } = this;
    if (request.complete || request.destroyed || this.stalled) return;
    await new Promise<void>((resolve) => {
      let drained = 0;
      let timer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const restart = (): void => {
        clearTimeout(timer);
        // A stalled rest is left to the error answer's own draining (which closes the connection after answering).
        timer = setTimeout(stop, this.idleTimeoutMs);
      };
      request.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained <= MAX_TRAILING_BYTES) return restart();
        request.destroy();
        stop();
      });
      request.on('error', () => undefined);
      request.once('end', stop);
      request.once('close', stop);
      restart();
      request.resume();
    });
  }

  /** Replaced by {@link read} with the failure path of the form being read. */
  private fail: (error: Error) => void = () => undefined;

  private restartIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.request.complete) return;
    this.idleTimer = setTimeout(() => {
      this.stalled = true;
      this.fail(new RequestTimeout());
      this.request.unpipe(this.parser);
    }, this.idleTimeoutMs);
  }
}
