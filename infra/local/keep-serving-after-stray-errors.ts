/**
 * The second line of defence for a long-running local server process: an error that escaped
 * every request's own handling (a stream failing with nobody listening, a rejected promise nobody
 * awaited) is logged loudly instead of ending the process, so one bad request cannot take down
 * the local cloud, the token service and the page that share it. Installed only after start-up
 * succeeded, so failures to start still end the process. The fix for each such error is to give
 * the failing thing an owner; this only keeps the others serving meanwhile.
 */
export function keepServingAfterStrayErrors(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  const report = (kind: string) => (error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    log(`internal error (${kind}; still serving, please report it): ${detail}`);
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));
}
