import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../../app/cli/cli-usage-error.ts';
import { folderKey, formatRemotePath, lastKeySegment, parseRemotePath, parseTransferPath, requireFileKey } from '../../../app/cli/location-path.ts';

const usageCode = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as CliUsageError).code;
  }
  return undefined;
};

describe('location paths in commands that only take storage paths', () => {
  it('reads [location:]key; a bare path is in the own location', () => {
    expect(parseRemotePath('shared:handbook.pdf')).toEqual({ kind: 'remote', location: 'shared', key: 'handbook.pdf' });
    expect(parseRemotePath('team:plans/q3.xlsx')).toEqual({ kind: 'remote', location: 'team', key: 'plans/q3.xlsx' });
    expect(parseRemotePath('photos/cat.jpg')).toEqual({ kind: 'remote', location: undefined, key: 'photos/cat.jpg' });
    expect(parseRemotePath('team:')).toEqual({ kind: 'remote', location: 'team', key: '' });
    expect(parseRemotePath('')).toEqual({ kind: 'remote', location: undefined, key: '' });
  });

  it("splits at the first colon, so an identity id's colon stays in the key", () => {
    expect(parseRemotePath('protected:us-east-1:1f0c-77/photo.jpg')).toEqual({ kind: 'remote', location: 'protected', key: 'us-east-1:1f0c-77/photo.jpg' });
    expect(parseRemotePath('private:2024:notes.txt')).toEqual({ kind: 'remote', location: 'private', key: '2024:notes.txt' });
  });

  it('a colon after a slash is part of a bare key', () => {
    expect(parseRemotePath('notes/2024:10.txt')).toEqual({ kind: 'remote', location: undefined, key: 'notes/2024:10.txt' });
  });

  it('refuses what cannot be a location name and says how to write a key with a colon', () => {
    expect(usageCode(() => parseRemotePath('Team:a.txt'))).toBe('InvalidLocationName');
    expect(usageCode(() => parseRemotePath('2024:notes.txt'))).toBe('InvalidLocationName');
    expect(usageCode(() => parseRemotePath(':a.txt'))).toBe('InvalidLocationName');
    expect(usageCode(() => parseRemotePath(`${'a'.repeat(33)}:x`))).toBe('InvalidLocationName');
    expect(() => parseRemotePath('2024:notes.txt')).toThrow(/private:2024:notes\.txt/);
    expect(parseRemotePath(`${'a'.repeat(32)}:x`).location).toBe('a'.repeat(32));
  });

  it('refuses keys starting with "/" and shows the relative form', () => {
    expect(usageCode(() => parseRemotePath('team:/plans/q3.xlsx'))).toBe('AbsoluteKey');
    expect(() => parseRemotePath('team://plans/q3.xlsx')).toThrow(/write team:plans\/q3\.xlsx/);
    expect(usageCode(() => parseRemotePath('/etc/passwd'))).toBe('AbsoluteKey');
  });
});

describe('the sides of cp and mv', () => {
  it('a side with location: is remote, one without is a local file', () => {
    expect(parseTransferPath('./a.txt', 'linux')).toEqual({ kind: 'local', path: './a.txt' });
    expect(parseTransferPath('a.txt', 'linux')).toEqual({ kind: 'local', path: 'a.txt' });
    expect(parseTransferPath('/tmp/a.txt', 'linux')).toEqual({ kind: 'local', path: '/tmp/a.txt' });
    expect(parseTransferPath('team:a.txt', 'linux')).toEqual({ kind: 'remote', location: 'team', key: 'a.txt' });
    expect(parseTransferPath('private:a.txt', 'linux')).toEqual({ kind: 'remote', location: 'private', key: 'a.txt' });
  });

  it('a local file name with a colon is written after a slash', () => {
    expect(parseTransferPath('./a:b.txt', 'linux')).toEqual({ kind: 'local', path: './a:b.txt' });
    expect(usageCode(() => parseTransferPath('A:b.txt', 'linux'))).toBe('InvalidLocationName');
  });

  it('a Windows drive path is local on Windows only', () => {
    expect(parseTransferPath('C:\\Users\\ann\\a.txt', 'win32')).toEqual({ kind: 'local', path: 'C:\\Users\\ann\\a.txt' });
    expect(parseTransferPath('c:/data/a.txt', 'win32')).toEqual({ kind: 'local', path: 'c:/data/a.txt' });
    expect(usageCode(() => parseTransferPath('c:/data/a.txt', 'linux'))).toBe('AbsoluteKey');
    expect(parseTransferPath('c:data/a.txt', 'win32')).toEqual({ kind: 'remote', location: 'c', key: 'data/a.txt' });
  });

  it('an empty side is a usage error', () => {
    expect(usageCode(() => parseTransferPath('', 'linux'))).toBe('EmptyKey');
  });
});

describe('file and folder keys', () => {
  it('a file key must name something and not be a folder', () => {
    expect(requireFileKey(parseRemotePath('team:a.txt'), 'team:a.txt')).toBe('a.txt');
    expect(usageCode(() => requireFileKey(parseRemotePath('team:'), 'team:'))).toBe('EmptyKey');
    expect(() => requireFileKey(parseRemotePath('team:'), 'team:')).toThrow(/team:notes\.txt/);
    expect(usageCode(() => requireFileKey(parseRemotePath(''), ''))).toBe('EmptyKey');
    expect(usageCode(() => requireFileKey(parseRemotePath('team:plans/'), 'team:plans/'))).toBe('FileExpected');
  });

  it('a folder key ends with a slash, or is empty for the top', () => {
    expect(folderKey(parseRemotePath('team:plans'))).toBe('plans/');
    expect(folderKey(parseRemotePath('team:plans/'))).toBe('plans/');
    expect(folderKey(parseRemotePath('team:'))).toBe('');
  });

  it('names and shows paths', () => {
    expect(lastKeySegment('plans/2025/q3.xlsx')).toBe('q3.xlsx');
    expect(lastKeySegment('plans/2025/')).toBe('2025');
    expect(formatRemotePath('team', 'plans/q3.xlsx')).toBe('team:plans/q3.xlsx');
  });
});
