import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

interface DualProtocolServer {
  port: number;
  close(): Promise<void>;
}

/** First byte of a TLS ClientHello record. */
const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that sends nothing at all is dropped after this long (as the header timeout would). */
const FIRST_BYTE_TIMEOUT_MS = 60_000;
/** Headers must be complete this long after the connection's request began (Node's default, stated). */
const HEADERS_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Requests still being answered, per connection: bytes that fail to parse after a request must not cut its answer short. */
const requestsInFlight = new WeakMap<Duplex, { request: IncomingMessage; response: ServerResponse }>();

function trackRequest(request: IncomingMessage, response: ServerResponse): void {
  requestsInFlight.set(request.socket, { request, response });
  response.once('close', forgetRequest);
}

/** A `close` listener shared by every answer (not a closure per request). */
function forgetRequest(this: ServerResponse): void {
  requestsInFlight.delete(this.req.socket);
}

/** The client went quiet: close, unless the quiet side is the server, still working on a request that arrived whole. */
function closeIdleConnection(socket: Duplex, idleTimeoutMs: number): void {
  const inFlight = requestsInFlight.get(socket);
  if (inFlight?.request.complete && !inFlight.response.writableFinished) {
    (socket as Socket).setTimeout(idleTimeoutMs);
    return;
  }
  socket.destroy();
}

/** What an answered-and-closing client still sends is read and dropped, briefly: closing with unread bytes would reset the connection and lose the answer. */
const MAX_DISCARDED_BYTES = 1024 * 1024;
/** Connections already given their status for unparsable bytes. */
const answeredUnparsable = new WeakSet<Duplex>();
const DISCARD_WINDOW_MS = 2_000;

function discardWhatFollows(socket: Duplex): void {
  let discarded = 0;
  const stop = setTimeout(() => socket.destroy(), DISCARD_WINDOW_MS);
  socket.on('close', () => clearTimeout(stop));
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) socket.destroy();
  });
  socket.resume();
}

/**
 * Bytes Node's parser rejects (unknown methods, broken framing, oversized headers) get a status
 * as from Node's default handler when they open the connection. After a request that arrived
 * whole and is still being answered (e.g. an unframed body behind a GET), that answer goes out
 * first and the connection closes after it; a request whose own body broke is cut off at once,
 * so its handler sees the abort and cleans up.
 */
function answerUnparsableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  // On TLS the parser keeps being fed what follows and fails again on each chunk: the first answer stands.
  if (answeredUnparsable.has(socket)) return;
  const inFlight = requestsInFlight.get(socket);
  if (inFlight?.request.complete) {
    inFlight.response.once('close', () => socket.destroy());
    return;
  }
  // No request is being answered, so any earlier answer is complete: a status may follow it (bytesWritten is no guide: on TLS it counts the handshake).
  if (inFlight || error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  answeredUnparsable.add(socket);
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  discardWhatFollows(socket);
}

/**
 * One port that speaks both HTTPS (for SDKs and tools, so `aws:SecureTransport` is true as on
 * AWS) and plain HTTP (so a person's browser reaches the local page and its uploads without a
 * certificate wall). The first byte of each connection tells which one it is.
 */
export async function startDualProtocolServer(options: {
  host: string;
  port: number;
  certificatePem: string;
  keyPem: string;
  listener: RequestListener;
  /**
   * A connection on which the client sends nothing for this long while the server waits for it
   * (a stalled body, an error answer's unread rest) is closed. Uploads have no total time limit
   * (`requestTimeout` 0: a 5 GiB body may take long), only this idle one; a request the server is
   * still working on is never cut. @default 60000
   */
  idleTimeoutMs?: number;
}): Promise<DualProtocolServer> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const httpServer = createHttpServer({ requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: 5_000 }, options.listener);
  const httpsServer = createHttpsServer({ cert: options.certificatePem, key: options.keyPem, requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: 5_000 }, options.listener);
  const sockets = new Set<Socket>();

  const front: Server = createNetServer({ pauseOnConnect: false }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once('readable', () => {
      socket.setTimeout(0);
      const head = socket.read(1) as Buffer | null;
      if (head === null) {
        socket.once('readable', () => undefined);
        socket.end();
        return;
      }
      socket.unshift(head);
      (head[0] === TLS_HANDSHAKE_RECORD ? httpsServer : httpServer).emit('connection', socket);
    });
  });
  httpsServer.on('tlsClientError', (_error, tlsSocket) => tlsSocket.destroy());
  for (const server of [httpServer, httpsServer]) {
    server.on('request', trackRequest);
    server.on('clientError', answerUnparsableRequest);
    server.setTimeout(idleTimeoutMs, (socket: Duplex) => closeIdleConnection(socket, idleTimeoutMs));
  }

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (front.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
