import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * The folders whose `.ts` and `.json` files the synthesis imports (the stack, the construct, the
 * access rules and what they build on). `test/unit/infra/template-cache.test.ts` follows the
 * imports from `build-stack.ts` and fails if one leads outside these folders.
 */
export const STACK_SOURCE_DIRECTORIES: readonly string[] = ['infra/stack', 'infra/construct', 'infra/access-rules', 'infra/cloudformation', 'infra/policy-engine'];
/** Pins aws-cdk-lib, constructs and cdk-nag: another CDK version may synthesize another template. */
const LOCK_FILE = 'package-lock.json';

/**
 * A SHA-256 over every stack source file (path and bytes, in a fixed order) and the lock file, so
 * any edit to a rule, construct or the CDK version gives another digest.
 */
export async function stackSourceDigest(projectRoot: string): Promise<string> {
  const files = (await Promise.all(STACK_SOURCE_DIRECTORIES.map((directory) => sourceFilesUnder(projectRoot, directory)))).flat().sort();
  const hash = createHash('sha256');
  for (const file of [...files, LOCK_FILE]) {
    const bytes = await readFile(join(projectRoot, file));
    // Length-prefixed, so no two different file sets can hash the same stream.
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex');
}

async function sourceFilesUnder(projectRoot: string, directory: string): Promise<string[]> {
  const entries = await readdir(join(projectRoot, directory), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && (entry.name.endsWith('.ts') || entry.name.endsWith('.json')))
    .map((entry) => relative(projectRoot, join(entry.parentPath, entry.name)).split('\\').join('/'));
}
