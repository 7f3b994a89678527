/** A port a local server was told to listen on is taken (EADDRINUSE), e.g. by another `npm start`. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    /** Which server wanted it: "the web page", "the local cloud". */
    readonly server: string,
    options?: ErrorOptions,
  ) {
    super(`Port ${port} (${server}) is already in use, perhaps by another "npm start" or "npm run local".`, options);
  }
}

/** A listen failure on `port` as a {@link PortInUseError} when the port is taken; anything else as it is. */
export function asPortInUse(error: unknown, port: number, server: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(port, server, { cause: error }) : error;
}
