/**
 * The project needs Node 22 or newer (package.json engines): Node 20 reached its end of life in
 * April 2026 and AWS SDK releases from January 2027 require Node 22. Entry points call
 * refuseUnsupportedNode() before they do anything, so an older Node stops with one line instead
 * of the SDK's 9-line notice or a failure somewhere later.
 */
export const MINIMUM_NODE_MAJOR = 22;

/** The line an entry point prints on a Node older than MINIMUM_NODE_MAJOR, or undefined when this Node is supported. */
export function unsupportedNodeMessage(nodeVersion: string): string | undefined {
  const major = Number.parseInt(nodeVersion, 10);
  if (major >= MINIMUM_NODE_MAJOR) return undefined;
  return `Node ${MINIMUM_NODE_MAJOR} or newer is needed (this is ${nodeVersion}): see README.md, Quick start`;
}

/** Exits 1 with one line on stderr when this Node is older than MINIMUM_NODE_MAJOR. */
export function refuseUnsupportedNode(nodeVersion: string = process.versions.node): void {
  const message = unsupportedNodeMessage(nodeVersion);
  if (message === undefined) return;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
