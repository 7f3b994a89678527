import { dirname, resolve } from 'node:path';

/**
 * The folder the user ran the command from. `npm run storage` runs the CLI in the package root
 * and says where the user was in `INIT_CWD`; that only counts when this process is the one npm
 * started there (a CLI started by some other process under npm keeps its own working directory).
 */
export function userDirectory(environment: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): string {
  const { INIT_CWD: initialDirectory, npm_package_json: packageJson } = environment;
  return initialDirectory && packageJson && dirname(packageJson) === cwd ? initialDirectory : cwd;
}

/** A local path as the user typed it, resolved against their folder. */
export function userPath(path: string): string {
  return resolve(userDirectory(), path);
}
