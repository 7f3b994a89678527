/** What an upload link carries (the library's createUploadLink result, times as text or Date). */
export interface UploadLinkRequest {
  url: string;
  method: 'PUT' | 'POST';
  fields?: Record<string, string>;
  headers?: Record<string, string>;
}

/** The placeholder the user replaces with their file's path. */
export const FILE_PLACEHOLDER = 'PATH_TO_FILE';

/** One shell word in single quotes: nothing inside is expanded (a quote is closed, escaped and reopened). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A `curl` command line that uploads one file with the link: a PUT with exactly the signed headers,
 * or a POST form whose fields go as literal strings (`--form-string`, so a value starting with `@`
 * or `<` is never read as a file) and the file last, as S3 requires.
 */
export function curlCommand(link: UploadLinkRequest, options: { caCertificate?: string } = {}): string {
  const words = ['curl', '--fail-with-body'];
  if (options.caCertificate && link.url.startsWith('https:')) words.push('--cacert', options.caCertificate);
  if (link.method === 'PUT') {
    words.push('-X', 'PUT');
    for (const [name, value] of Object.entries(link.headers ?? {})) words.push('-H', `${name}: ${value}`);
    words.push('--upload-file', FILE_PLACEHOLDER);
  } else {
    for (const [name, value] of Object.entries(link.fields ?? {})) words.push('--form-string', `${name}=${value}`);
    words.push('-F', `file=@${FILE_PLACEHOLDER}`);
  }
  words.push(link.url);
  return words.map(shellQuote).join(' ');
}
