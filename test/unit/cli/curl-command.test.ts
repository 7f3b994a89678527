import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { curlCommand, FILE_PLACEHOLDER, shellQuote } from '../../../app/cli/curl-command.ts';

/** The words a POSIX shell makes of a command line (printed one per line by printf). */
function shellWords(commandLine: string): string[] {
  const printed = execFileSync('/bin/sh', ['-c', `set -- ${commandLine}; printf '%s\\n' "$@"`], { encoding: 'utf8' });
  return printed.split('\n').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest so the shell gives them back unchanged', () => {
    expect(shellQuote('PATH_TO_FILE')).toBe('PATH_TO_FILE');
    for (const word of ["it's", 'a b', '$HOME', '`id`', 'If-None-Match: *', '"quoted"', 'x;rm -rf /', '\\n', '']) {
      expect(shellWords(shellQuote(word)), word).toEqual([word]);
    }
  });
});

describe('curlCommand', () => {
  const url = 'https://localhost:4566/bucket/users/us-east-1%3Aabc/in/0123-upload?X-Amz-Signature=ab&X-Amz-SignedHeaders=host%3Bif-none-match';

  it('a PUT sends exactly the signed headers and the file, with the local CA for https', () => {
    const line = curlCommand({ url, method: 'PUT', headers: { 'If-None-Match': '*', 'x-amz-server-side-encryption': 'AES256', 'Content-Type': 'image/jpeg' } }, { caCertificate: '/tmp/ca dir/ca.pem' });
    expect(shellWords(line)).toEqual([
      'curl', '--fail-with-body', '--cacert', '/tmp/ca dir/ca.pem', '-X', 'PUT',
      '-H', 'If-None-Match: *', '-H', 'x-amz-server-side-encryption: AES256', '-H', 'Content-Type: image/jpeg',
      '--upload-file', FILE_PLACEHOLDER, url,
    ]);
  });

  it('a POST sends every field as a literal string (a value starting with @ is not read as a file) and the file last', () => {
    const line = curlCommand({ url: 'http://localhost:4566/bucket', method: 'POST', fields: { key: '@etc/passwd', policy: 'eyJ4Ijoi', 'x-amz-signature': 'ab' } }, { caCertificate: '/ca.pem' });
    expect(shellWords(line)).toEqual(['curl', '--fail-with-body', '--form-string', 'key=@etc/passwd', '--form-string', 'policy=eyJ4Ijoi', '--form-string', 'x-amz-signature=ab', '-F', `file=@${FILE_PLACEHOLDER}`, 'http://localhost:4566/bucket']);
  });
});
