/**
 * A Content-Disposition value (RFC 6266): `attachment; filename="report.pdf"`. A name with
 * characters outside printable ASCII gets an ASCII stand-in in `filename` (for old clients) and
 * the real name in `filename*` (RFC 8187, UTF-8, percent-encoded), which browsers prefer.
 */
export function contentDisposition(disposition: 'inline' | 'attachment', fileName: string | undefined): string {
  if (fileName === undefined || fileName === '') return disposition;
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const quoted = `${disposition}; filename="${ascii}"`;
  if (ascii === fileName) return quoted;
  return `${quoted}; filename*=UTF-8''${encodeRfc8187(fileName)}`;
}

/** RFC 8187's attr-char set: encodeURIComponent also leaves ' ( ) * ! unencoded, which it must not. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*!]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The last segment of a key, the name a downloaded file gets by default. */
export function fileNameOf(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
