import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildStackOptions } from './build-stack.ts';
import { canonicalJson, NotCanonicalJsonError } from './canonical-json.ts';
import { stackSourceDigest } from './stack-source-digest.ts';
import type { SynthesizedTemplate } from './synthesize-stack-template.ts';

/** Bumped whenever an entry's layout or meaning changes, so older entries are never read. */
const CACHE_FORMAT_VERSION = 1;
/** Stack variants (option sets) kept for one source tree; the least recently used go first. */
const MAX_VARIANTS_PER_SOURCE = 32;
/** A temporary file this old was left by a writer that died; live writers rename theirs within moments. */
const STALE_TEMPORARY_FILE_MS = 10 * 60 * 1000;
const ENTRY_NAME = /^([0-9a-f]{64})-([0-9a-f]{64})\.json$/;

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_TEMPLATE_CACHE_DIRECTORY = join(PROJECT_ROOT, 'node_modules', '.cache', 'scoped-storage', 'templates');

export interface LoadStackTemplateOptions {
  /** The stack's options, as `synthesizeStackTemplate` takes them. */
  stack?: Omit<BuildStackOptions, 'app'>;
  /** Where a miss writes the cloud assembly, as `cdk synth` writes `cdk.out`. */
  assemblyDirectory: string;
  /** @default `<project root>/node_modules/.cache/scoped-storage/templates` */
  cacheDirectory?: string;
  /** The tree whose stack sources and lock file key the cache. @default this repository (tests point it at a copy) */
  sourceRoot?: string;
}

export interface LoadedStackTemplate extends SynthesizedTemplate {
  /** `cache` when read from an entry, `synthesis` when the CDK ran. */
  origin: 'cache' | 'synthesis';
}

interface CacheEntry extends SynthesizedTemplate {
  formatVersion: number;
  key: string;
}

/**
 * The stack's template from the cache when its sources, the CDK version and the options are those
 * it was made from; otherwise synthesized (loading aws-cdk-lib only then) and cached. An entry that
 * cannot be read or does not hold a template is synthesized again, never trusted.
 */
export async function loadStackTemplate(options: LoadStackTemplateOptions): Promise<LoadedStackTemplate> {
  const cacheDirectory = options.cacheDirectory ?? DEFAULT_TEMPLATE_CACHE_DIRECTORY;
  const name = await entryName(options.sourceRoot ?? PROJECT_ROOT, options.stack ?? {});
  if (name === undefined) return { ...(await synthesize(options)), origin: 'synthesis' };
  const path = join(cacheDirectory, `${name.sources}-${name.variant}.json`);
  const cached = await readEntry(path, name.key);
  if (cached) {
    // The entry's time says when it was last used, so pruning drops the variants nobody starts.
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return { ...cached, origin: 'cache' };
  }
  const synthesized = await synthesize(options);
  await writeEntry(cacheDirectory, path, { formatVersion: CACHE_FORMAT_VERSION, key: name.key, stackName: synthesized.stackName, template: synthesized.template })
    .then(() => pruneEntries(cacheDirectory, name.sources, path))
    // The cache only saves time: a read-only or full disk must not stop the local cloud.
    .catch(() => undefined);
  return { ...synthesized, origin: 'synthesis' };
}

/**
 * The entry's file name in two halves: what the sources are (format version, stack sources, lock
 * file), so entries of older sources can be pruned by name, and which variant of the stack (its
 * options and the CDK's environment). `undefined` when the options are not plain data.
 */
async function entryName(sourceRoot: string, stack: Omit<BuildStackOptions, 'app'>): Promise<{ sources: string; variant: string; key: string } | undefined> {
  let options: string;
  try {
    options = canonicalJson(stack, 'stack');
  } catch (error) {
    if (error instanceof NotCanonicalJsonError) return undefined;
    throw error;
  }
  const sources = sha256(`format ${CACHE_FORMAT_VERSION}\0${await stackSourceDigest(sourceRoot)}`);
  // The CDK's App reads its context (and default account and region) from these variables.
  const cdkEnvironment = Object.fromEntries(Object.entries(process.env).filter(([variable]) => variable.startsWith('CDK_') && variable !== NO_PERF_HOOKS_VARIABLE));
  const variant = sha256(`${options}\0${canonicalJson(cdkEnvironment)}`);
  return { sources, variant, key: `${sources}-${variant}` };
}

/** Read by aws-cdk-lib when it loads; it does not change the template, so it is left out of the key. */
const NO_PERF_HOOKS_VARIABLE = 'CDK_NO_PERF_BUILTINS';

async function synthesize(options: LoadStackTemplateOptions): Promise<SynthesizedTemplate> {
  // aws-cdk-lib otherwise wraps every fs and child_process function for the life of the process,
  // so a local cloud started on a cache miss would pay for it on each file call while serving.
  process.env[NO_PERF_HOOKS_VARIABLE] = '1';
  // Imported here so that a start served from the cache never loads aws-cdk-lib.
  const { synthesizeStackTemplate } = await import('./synthesize-stack-template.ts');
  return synthesizeStackTemplate(options.assemblyDirectory, options.stack);
}

async function readEntry(path: string, key: string): Promise<SynthesizedTemplate | undefined> {
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(await readFile(path, 'utf8')) as Partial<CacheEntry>;
  } catch {
    return undefined;
  }
  const resources = entry?.template?.Resources;
  const valid = entry?.formatVersion === CACHE_FORMAT_VERSION && entry.key === key && typeof entry.stackName === 'string' && typeof resources === 'object' && resources !== null && !Array.isArray(resources);
  return valid ? { stackName: entry.stackName!, template: entry.template! } : undefined;
}

/**
 * Writes to a temporary sibling and renames it into place, so a reader (another local cloud
 * starting at the same moment) sees no entry or a whole one. No fsync: a torn entry after a
 * power cut fails to parse and is synthesized again.
 */
async function writeEntry(cacheDirectory: string, path: string, entry: CacheEntry): Promise<void> {
  await mkdir(cacheDirectory, { recursive: true });
  const temporaryPath = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporaryPath, JSON.stringify(entry));
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

/** Removes the entries of other sources, the least recently used variants beyond the limit, and dead writers' temporary files. */
async function pruneEntries(cacheDirectory: string, currentSources: string, keptPath: string): Promise<void> {
  const names = await readdir(cacheDirectory);
  const variants: Array<{ path: string; usedMs: number }> = [];
  await Promise.all(
    names.map(async (name) => {
      const path = join(cacheDirectory, name);
      if (path === keptPath) return;
      const entry = ENTRY_NAME.exec(name);
      if (entry && entry[1] !== currentSources) return rm(path, { force: true });
      const modifiedMs = await stat(path).then((status) => status.mtimeMs, () => undefined);
      if (modifiedMs === undefined) return;
      if (entry) variants.push({ path, usedMs: modifiedMs });
      else if (name.endsWith('.tmp') && Date.now() - modifiedMs > STALE_TEMPORARY_FILE_MS) await rm(path, { force: true });
    }),
  );
  variants.sort((left, right) => right.usedMs - left.usedMs);
  await Promise.all(variants.slice(MAX_VARIANTS_PER_SOURCE - 1).map(({ path }) => rm(path, { force: true })));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
