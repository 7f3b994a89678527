import { describe, expect, it } from 'vitest';
import { userDirectory } from '../../../app/cli/user-directory.ts';

describe("the CLI's idea of the user's folder", () => {
  it('is INIT_CWD when npm started the CLI in the package root', () => {
    expect(userDirectory({ INIT_CWD: '/home/ann/photos', npm_package_json: '/repo/package.json' }, '/repo')).toBe('/home/ann/photos');
  });

  it('is the working directory otherwise: no npm, or a CLI some other process under npm started elsewhere', () => {
    expect(userDirectory({}, '/home/ann')).toBe('/home/ann');
    expect(userDirectory({ INIT_CWD: '/repo', npm_package_json: '/repo/package.json' }, '/tmp/work')).toBe('/tmp/work');
    expect(userDirectory({ INIT_CWD: '/home/ann' }, '/repo')).toBe('/repo');
  });
});
