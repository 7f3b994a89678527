import { describe, expect, it } from 'vitest';
import { contentDisposition, fileNameOf } from '../../../app/library/content-disposition.ts';
import { decodeListingToken, encodeListingToken } from '../../../app/library/listing-token.ts';
import { StorageError } from '../../../app/library/storage-errors.ts';

const SCOPE = { location: 'team', prefix: 'tenants/acme/plans/', recursive: false };

function refusal(action: () => unknown): StorageError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a refusal');
}

describe('listing tokens', () => {
  it('round-trips the continuation token for the same listing, as URL-safe text', () => {
    const token = encodeListingToken(SCOPE, '1/+ünïcode=token==');
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListingToken(SCOPE, token)).toBe('1/+ünïcode=token==');
  });

  it('refuses a token of another location, prefix or mode', () => {
    const token = encodeListingToken(SCOPE, 'abc');
    for (const other of [{ ...SCOPE, location: 'shared' }, { ...SCOPE, prefix: 'tenants/acme/plan/' }, { ...SCOPE, prefix: 'tenants/acmeco/plans/' }, { ...SCOPE, recursive: true }]) {
      const error = refusal(() => decodeListingToken(other, token));
      expect(error.code).toBe('InvalidArgument');
      expect(error.message).toContain('another listing');
    }
  });

  it('refuses a token whose fields were edited or made up by hand (a garbage cursor included), before any request', () => {
    const encode = (contents: object) => btoa(JSON.stringify(contents)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const made = JSON.parse(atob(encodeListingToken(SCOPE, 'abc').replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const crafted = [
      { ...made, c: 'garbage!!' },
      { v: 1, l: SCOPE.location, p: SCOPE.prefix, r: SCOPE.recursive, c: 'garbage' },
      { ...made, s: undefined, c: 'garbage' },
      { ...made, s: '00000000' },
    ];
    for (const contents of crafted) {
      const error = refusal(() => decodeListingToken(SCOPE, encode(contents)));
      expect(error.code, JSON.stringify(contents)).toBe('InvalidArgument');
      expect(error.message).toContain('not a token this library made');
    }
    expect(decodeListingToken(SCOPE, encode(made))).toBe('abc');
  });

  it('refuses tokens it did not make', () => {
    for (const token of ['', 'not base64!', btoa('{"v":2}'), btoa('[]'), 'abc', encodeListingToken(SCOPE, 'x').slice(0, -3)]) {
      expect(refusal(() => decodeListingToken(SCOPE, token)).code, token).toBe('InvalidArgument');
    }
  });
});

describe('Content-Disposition (RFC 6266)', () => {
  it('quotes ASCII names and adds filename* for others', () => {
    expect(contentDisposition('attachment', 'report.pdf')).toBe('attachment; filename="report.pdf"');
    expect(contentDisposition('inline', undefined)).toBe('inline');
    expect(contentDisposition('attachment', 'Überblick 2026.pdf')).toBe(`attachment; filename="_berblick 2026.pdf"; filename*=UTF-8''%C3%9Cberblick%202026.pdf`);
    expect(contentDisposition('attachment', '日本.txt')).toBe(`attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`);
  });

  it('never lets a name break out of the quoted string or the header', () => {
    expect(contentDisposition('attachment', 'a"b\\c.txt')).toBe('attachment; filename="a_b_c.txt"; filename*=UTF-8\'\'a%22b%5Cc.txt');
    expect(contentDisposition('attachment', "it's (1)*!.txt")).toBe(`attachment; filename="it's (1)*!.txt"`);
    expect(contentDisposition('attachment', 'x\r\nSet-Cookie: a=b')).toBe(`attachment; filename="x__Set-Cookie: a=b"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db`);
    expect(contentDisposition('attachment', "é'(")).toContain("filename*=UTF-8''%C3%A9%27%28");
  });

  it('fileNameOf takes the last segment', () => {
    expect(fileNameOf('a/b/c.txt')).toBe('c.txt');
    expect(fileNameOf('c.txt')).toBe('c.txt');
    expect(fileNameOf('a/b/')).toBe('b');
  });
});
