import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { chunkSignature, trailerSignature, type ChunkSigningContext } from './chunk-signatures.ts';
import { signaturesMatch } from './request-signature.ts';
import { SigV4Error } from './sigv4-error.ts';

interface AwsChunkedDecoderOptions {
  /** Chunks must carry valid `chunk-signature`s chained from this context (signed streaming modes). */
  signing?: ChunkSigningContext;
  /** The trailer section must end with a valid `x-amz-trailer-signature`. */
  signedTrailer?: boolean;
  /** `x-amz-decoded-content-length`: the decoded body must be exactly this long. */
  declaredLength?: number;
}

type State = 'size-line' | 'data' | 'data-end' | 'trailer-line' | 'done';

const MAX_LINE_BYTES = 8 * 1024;
const CHUNK_SIZE_LINE = /^([0-9a-fA-F]{1,15})(?:;chunk-signature=([0-9a-f]{64}))?$/;

/**
 * Decodes an `aws-chunked` body as it streams: passes the chunk data on, checks each chunk
 * signature, and collects the trailing headers (checksums), available in {@link trailers} once
 * the stream has ended.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  private state: State = 'size-line';
  private lineBuffer: Buffer[] = [];
  private lineBufferBytes = 0;
  private remainingChunkBytes = 0;
  private decodedBytes = 0;
  private chunkHash: Hash | undefined;
  private presentedChunkSignature: string | undefined;
  private previousSignature: string | undefined;
  private readonly trailerLines: string[] = [];
  private presentedTrailerSignature: string | undefined;

  constructor(private readonly options: AwsChunkedDecoderOptions = {}) {
    super();
    this.previousSignature = options.signing?.seedSignature;
  }

  override _transform(input: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(input);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done') return callback(new SigV4Error('IncompleteBody', 'The request body ended before the final aws-chunked chunk.'));
    if (this.options.declaredLength !== undefined && this.decodedBytes !== this.options.declaredLength) {
      return callback(new SigV4Error('IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.'));
    }
    callback();
  }

  private consume(input: Buffer): void {
    let offset = 0;
    while (offset < input.length) {
      if (this.state === 'done') throw malformed('data after the final chunk');
      if (this.state === 'data') {
        const piece = input.subarray(offset, offset + Math.min(this.remainingChunkBytes, input.length - offset));
        this.chunkHash?.update(piece);
        this.decodedBytes += piece.length;
        this.push(piece);
        this.remainingChunkBytes -= piece.length;
        offset += piece.length;
        if (this.remainingChunkBytes === 0) this.state = 'data-end';
        continue;
      }
      const newline = input.indexOf(0x0a, offset);
      const end = newline < 0 ? input.length : newline + 1;
      this.lineBuffer.push(input.subarray(offset, end));
      this.lineBufferBytes += end - offset;
      offset = end;
      if (this.lineBufferBytes > MAX_LINE_BYTES) throw malformed('line too long');
      if (newline >= 0) this.handleLine(this.takeLine());
    }
  }

  private takeLine(): string {
    const line = Buffer.concat(this.lineBuffer, this.lineBufferBytes).toString('utf8');
    this.lineBuffer = [];
    this.lineBufferBytes = 0;
    if (!line.endsWith('\r\n')) throw malformed('line not terminated by CRLF');
    return line.slice(0, -2);
  }

  private handleLine(line: string): void {
    switch (this.state) {
      case 'size-line':
        return this.startChunk(line);
      case 'data-end':
        if (line !== '') throw malformed('chunk data longer than its declared size');
        this.finishChunk();
        this.state = 'size-line';
        return;
      case 'trailer-line':
        if (line === '') return this.finishTrailer();
        return this.addTrailerLine(line);
      default:
        throw malformed('unexpected line');
    }
  }

  private startChunk(line: string): void {
    const match = CHUNK_SIZE_LINE.exec(line);
    if (!match) throw malformed('invalid chunk header');
    if (this.options.signing && match[2] === undefined) throw new SigV4Error('SignatureDoesNotMatch', 'A chunk of the signed streaming body has no chunk-signature.');
    this.presentedChunkSignature = match[2];
    this.remainingChunkBytes = Number.parseInt(match[1] ?? '0', 16);
    this.chunkHash = this.options.signing ? createHash('sha256') : undefined;
    if (this.remainingChunkBytes > 0) {
      this.state = 'data';
      return;
    }
    this.finishChunk();
    this.state = 'trailer-line';
  }

  private finishChunk(): void {
    const signing = this.options.signing;
    if (!signing || this.chunkHash === undefined) return;
    const expected = chunkSignature(signing, this.previousSignature ?? '', this.chunkHash.digest('hex'));
    if (!signaturesMatch(expected, this.presentedChunkSignature ?? '')) {
      throw new SigV4Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    this.previousSignature = expected;
  }

  private addTrailerLine(line: string): void {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('invalid trailing header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.presentedTrailerSignature = value;
      return;
    }
    if (this.presentedTrailerSignature !== undefined) throw malformed('trailing header after the trailer signature');
    this.trailers.set(name, value);
    this.trailerLines.push(`${name}:${value}`);
  }

  private finishTrailer(): void {
    const signing = this.options.signing;
    if (this.options.signedTrailer && signing) {
      const expected = trailerSignature(signing, this.previousSignature ?? '', this.trailerLines);
      if (!signaturesMatch(expected, this.presentedTrailerSignature ?? '')) {
        throw new SigV4Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
      }
    }
    this.state = 'done';
  }
}

function malformed(reason: string): SigV4Error {
  return new SigV4Error('InvalidRequest', `The request body is not valid aws-chunked encoding: ${reason}.`);
}
