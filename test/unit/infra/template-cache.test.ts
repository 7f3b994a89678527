import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DefaultStackSynthesizer } from 'aws-cdk-lib';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackTemplate, PROJECT_ROOT, type LoadStackTemplateOptions } from '../../../infra/stack/cached-stack-template.ts';
import { canonicalJson, NotCanonicalJsonError } from '../../../infra/stack/canonical-json.ts';
import { STACK_SOURCE_DIRECTORIES } from '../../../infra/stack/stack-source-digest.ts';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CHILD = join(REPOSITORY, 'test/unit/infra/template-cache/load-template-in-child.ts');
const run = promisify(execFile);

/** The repository files `start` imports, directly or through others (relative specifiers only: packages are pinned by the lock file). */
function localImportsFrom(start: string): Set<string> {
  const reached = new Set([start]);
  const pending = [start];
  while (pending.length > 0) {
    const file = pending.pop()!;
    const specifiers = ts.preProcessFile(readFileSync(join(REPOSITORY, file), 'utf8'), true, true).importedFiles.map(({ fileName }) => fileName);
    for (const specifier of specifiers.filter((candidate) => candidate.startsWith('.'))) {
      const target = relative(REPOSITORY, resolve(REPOSITORY, dirname(file), specifier));
      if (reached.has(target)) continue;
      reached.add(target);
      pending.push(target);
    }
  }
  return reached;
}

/** The cache's entry files (temporary files left aside). */
async function entries(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.json')).sort();
}

/** Loads the template in a child process and reports whether aws-cdk-lib was resolved there. */
async function loadInChild(options: LoadStackTemplateOptions): Promise<{ origin: string; stackName: string; resourceCount: number; cdkSpecifiers: string[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { cwd: REPOSITORY, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as { origin: string; stackName: string; resourceCount: number; cdkSpecifiers: string[] };
}

describe('the hashed stack sources', () => {
  it('cover every repository file the synthesis imports', () => {
    const reached = [...localImportsFrom('infra/stack/build-stack.ts'), ...localImportsFrom('infra/stack/synthesize-stack-template.ts')];
    // A walk that found nothing would pass the check below.
    expect(reached).toContain('infra/access-rules/compile-access-rules.ts');
    expect(reached).toContain('infra/construct/scoped-storage.ts');
    const uncovered = reached.filter((file) => !STACK_SOURCE_DIRECTORIES.some((directory) => file.startsWith(`${directory}/`)));
    expect(uncovered).toEqual([]);
  });
});

describe('canonical JSON of the stack options', () => {
  it('is the same text whatever the key order, without undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: true }, e: undefined })).toBe(canonicalJson({ a: { c: true, d: [1, 'x'] }, b: 1 }));
    expect(canonicalJson({ allowedOrigins: ['http://a'] })).not.toBe(canonicalJson({ allowedOrigins: ['http://b'] }));
  });

  it('refuses values with no stable text', () => {
    expect(() => canonicalJson({ hook: () => 1 })).toThrow(NotCanonicalJsonError);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(NotCanonicalJsonError);
    expect(() => canonicalJson({ size: Number.NaN })).toThrow(NotCanonicalJsonError);
  });
});

describe('the template cache', () => {
  let directory: string;
  const stack = { allowGuests: true };

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'template-cache-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('serves a restart from one JSON file without loading aws-cdk-lib; only a miss writes cdk.out', async () => {
    const cacheDirectory = join(directory, 'hit');
    const miss = await loadInChild({ cacheDirectory, assemblyDirectory: join(directory, 'hit-cdk.out-1'), stack });
    // The same hook sees the CDK when it is loaded, so an empty list below means it was not.
    expect(miss.origin).toBe('synthesis');
    expect(miss.cdkSpecifiers).toContain('aws-cdk-lib');
    expect(existsSync(join(directory, 'hit-cdk.out-1'))).toBe(true);

    const hit = await loadInChild({ cacheDirectory, assemblyDirectory: join(directory, 'hit-cdk.out-2'), stack });
    expect(hit).toEqual({ origin: 'cache', stackName: miss.stackName, resourceCount: miss.resourceCount, cdkSpecifiers: [] });
    expect(existsSync(join(directory, 'hit-cdk.out-2'))).toBe(false);
    expect(await entries(cacheDirectory)).toHaveLength(1);
  }, 120_000);

  it('returns the template the CDK synthesizes, and another one for other options', async () => {
    const cacheDirectory = join(directory, 'options');
    const synthesized = await loadStackTemplate({ cacheDirectory, assemblyDirectory: join(directory, 'options-cdk.out'), stack });
    const cached = await loadStackTemplate({ cacheDirectory, assemblyDirectory: join(directory, 'options-cdk.out'), stack: { ...stack } });
    expect(cached.origin).toBe('cache');
    expect(cached.template).toEqual(synthesized.template);
    expect(cached.stackName).toBe(synthesized.stackName);

    const withoutGuests = await loadStackTemplate({ cacheDirectory, assemblyDirectory: join(directory, 'options-cdk.out'), stack: { allowGuests: false } });
    expect(withoutGuests.origin).toBe('synthesis');
    expect(withoutGuests.template).not.toEqual(synthesized.template);
    // Both variants of the same sources stay: test suites alternate between stack variants.
    expect(await entries(cacheDirectory)).toHaveLength(2);
    expect((await loadStackTemplate({ cacheDirectory, assemblyDirectory: join(directory, 'options-cdk.out'), stack })).origin).toBe('cache');
  }, 120_000);

  it('synthesizes again after an access rule source changes, and drops the entries of the old sources', async () => {
    // A copy of the hashed sources, so the real ones are never edited.
    const sourceRoot = join(directory, 'sources');
    for (const folder of [...STACK_SOURCE_DIRECTORIES]) await cp(join(PROJECT_ROOT, folder), join(sourceRoot, folder), { recursive: true });
    await cp(join(PROJECT_ROOT, 'package-lock.json'), join(sourceRoot, 'package-lock.json'));
    const cacheDirectory = join(directory, 'sources-cache');
    const options = { cacheDirectory, sourceRoot, assemblyDirectory: join(directory, 'sources-cdk.out'), stack };
    expect((await loadStackTemplate(options)).origin).toBe('synthesis');
    expect((await loadStackTemplate(options)).origin).toBe('cache');
    const [before] = await entries(cacheDirectory);

    const rules = join(sourceRoot, 'infra/access-rules/compile-access-rules.ts');
    await writeFile(rules, `${await readFile(rules, 'utf8')}\n// an edit\n`);
    expect((await loadStackTemplate(options)).origin).toBe('synthesis');
    const after = await entries(cacheDirectory);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);

    await writeFile(join(sourceRoot, 'package-lock.json'), `${await readFile(join(sourceRoot, 'package-lock.json'), 'utf8')}\n`);
    expect((await loadStackTemplate(options)).origin).toBe('synthesis');
  }, 120_000);

  it.each([
    ['not JSON', '{"formatVersion":1,"key":'],
    ['empty', ''],
    ['JSON without a template', '{"formatVersion":1,"stackName":"ScopedStorage"}'],
    ['an entry of another key', 'SWAPPED'],
  ])('synthesizes again over an entry that is %s, and repairs it', async (_kind, content) => {
    const cacheDirectory = join(directory, `corrupt-${_kind.replaceAll(' ', '-')}`);
    const options = { cacheDirectory, assemblyDirectory: join(directory, 'corrupt-cdk.out'), stack };
    const good = await loadStackTemplate(options);
    const [name] = await entries(cacheDirectory);
    const path = join(cacheDirectory, name!);
    const text = await readFile(path, 'utf8');
    await writeFile(path, content === 'SWAPPED' ? text.replace(/"key":"[0-9a-f]/, '"key":"x') : content);

    const recovered = await loadStackTemplate(options);
    expect(recovered.origin).toBe('synthesis');
    expect(recovered.template).toEqual(good.template);
    expect(await readFile(path, 'utf8')).toBe(text);
    expect((await loadStackTemplate(options)).origin).toBe('cache');
  }, 120_000);

  it('is shared safely by processes that miss at the same moment', async () => {
    const cacheDirectory = join(directory, 'concurrent');
    const results = await Promise.all([1, 2, 3].map((index) => loadInChild({ cacheDirectory, assemblyDirectory: join(directory, `concurrent-cdk.out-${index}`), stack })));
    expect(new Set(results.map(({ resourceCount, stackName }) => `${stackName}:${resourceCount}`)).size).toBe(1);
    const names = await readdir(cacheDirectory);
    // One whole entry, and no temporary file left behind by any writer.
    expect(names).toHaveLength(1);
    expect(JSON.parse(await readFile(join(cacheDirectory, names[0]!), 'utf8'))).toMatchObject({ formatVersion: 1, stackName: results[0]!.stackName });
    expect((await loadInChild({ cacheDirectory, assemblyDirectory: join(directory, 'concurrent-cdk.out-4'), stack })).origin).toBe('cache');
  }, 180_000);

  it('synthesizes without caching when the options hold a construct-level object, which has no stable key', async () => {
    const cacheDirectory = join(directory, 'unkeyable');
    const loaded = await loadStackTemplate({ cacheDirectory, assemblyDirectory: join(directory, 'unkeyable-cdk.out'), stack: { ...stack, synthesizer: new DefaultStackSynthesizer() } });
    expect(loaded.origin).toBe('synthesis');
    expect(existsSync(cacheDirectory)).toBe(false);
  }, 120_000);
});
