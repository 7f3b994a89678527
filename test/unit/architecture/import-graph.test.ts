import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ROOTS = ['infra', 'app', 'token-service'];

/**
 * What token-service/ may import from app/, and why. Each is a leaf module (it imports nothing),
 * so the token service cannot reach the rest of app/ through it.
 */
const TOKEN_SERVICE_MAY_IMPORT: Record<string, string> = {
  'app/web/loopback-host-check.ts': 'the Node server refuses requests for other hosts (DNS rebinding) with the same check as the web page and the local cloud',
  'app/library/node/supported-node-version.ts': 'the Node server is an entry point and refuses an unsupported Node with the same line as the others',
  'app/library/cdn-address.ts': "the CDN links and cookies spell a key's address exactly as the library's public addresses do (CloudFront matches the URL as requested)",
  'app/library/content-disposition.ts': "a CDN link's download name is the same Content-Disposition value as the library's downloads",
};

/**
 * What token-service/ may import from infra/, and why: pure modules (no AWS calls, no CDK, no
 * emulator) that the link routes need to decide exactly as the stack does. Everything they reach is
 * checked to stay off aws-cdk-lib, constructs and infra/local/ (the Lambda bundle carries it all).
 */
const TOKEN_SERVICE_MAY_IMPORT_FROM_INFRA: Record<string, string> = {
  'infra/access-rules/': "the link routes compile the deployment's access rules with the compiler the stack uses, so a link reaches exactly what the caller's own credentials could read",
  'infra/policy-engine/': "the link routes evaluate s3:GetObject for the caller's web-identity context with the evaluator the local cloud and the admin tools use",
};
/** Packages nothing the token service reaches may import: the CDK (synthesis only) and its constructs. */
const TOKEN_SERVICE_FORBIDDEN_PACKAGES = [/^aws-cdk-lib(\/|$)/, /^constructs$/, /^esbuild$/];

interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(REPOSITORY, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(REPOSITORY, join(entry.parentPath, entry.name)));
}

/** Every import, re-export and dynamic import specifier of a file (TypeScript's own pre-parser). */
function importSpecifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(join(REPOSITORY, file), 'utf8'), true, true).importedFiles.map(({ fileName }) => fileName);
}

/** Every relative import, re-export and dynamic import of a file, as repository paths. */
function relativeImports(file: string): string[] {
  return importSpecifiers(file)
    .filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'))
    .map((specifier) => relative(REPOSITORY, resolve(REPOSITORY, dirname(file), specifier)));
}

/** The files `starts` import, directly or through others (the starts included). */
function reachableFrom(starts: readonly string[], edges: readonly ImportEdge[]): Set<string> {
  const reached = new Set(starts);
  const pending = [...starts];
  while (pending.length > 0) {
    const file = pending.pop()!;
    for (const { from, to } of edges) {
      if (from === file && !reached.has(to)) {
        reached.add(to);
        pending.push(to);
      }
    }
  }
  return reached;
}

function buildImportGraph(): { files: string[]; edges: ImportEdge[] } {
  const files = ROOTS.flatMap(sourceFiles).sort();
  return { files, edges: files.flatMap((from) => relativeImports(from).map((to) => ({ from, to }))) };
}

/** The import cycles, one per strongly connected component of more than one file (or a file importing itself), as a path through it. */
function findCycles(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((file) => [file, []]));
  for (const { from, to } of edges) if (next.has(to)) next.get(from)!.push(to);
  // Tarjan's algorithm, iteratively: the graph is a few hundred files, but recursion depth is not ours to spend.
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  for (const start of files) {
    if (index.has(start)) continue;
    const work: Array<{ file: string; nextChild: number }> = [{ file: start, nextChild: 0 }];
    index.set(start, index.size);
    lowLink.set(start, index.get(start)!);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      const children = next.get(frame.file)!;
      if (frame.nextChild < children.length) {
        const child = children[frame.nextChild++]!;
        if (!index.has(child)) {
          index.set(child, index.size);
          lowLink.set(child, index.get(child)!);
          stack.push(child);
          onStack.add(child);
          work.push({ file: child, nextChild: 0 });
        } else if (onStack.has(child)) {
          lowLink.set(frame.file, Math.min(lowLink.get(frame.file)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent) lowLink.set(parent.file, Math.min(lowLink.get(parent.file)!, lowLink.get(frame.file)!));
      if (lowLink.get(frame.file) === index.get(frame.file)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.file);
        if (component.length > 1 || next.get(frame.file)!.includes(frame.file)) components.push(component.sort());
      }
    }
  }
  return components;
}

const inFolder = (folder: string) => (file: string) => file.startsWith(`${folder}/`);

describe('the import graph of infra/, app/ and token-service/', () => {
  const { files, edges } = buildImportGraph();
  const describeEdges = (found: ImportEdge[]) => found.map(({ from, to }) => `${from} -> ${to}`);

  it('is read from the sources', () => {
    // A parser that found nothing would pass every rule below.
    expect(files.length).toBeGreaterThan(150);
    expect(edges).toContainEqual({ from: 'infra/local/local-cloud.ts', to: 'infra/stack/cached-stack-template.ts' });
    expect(edges).toContainEqual({ from: 'infra/construct/index.ts', to: 'infra/construct/scoped-storage.ts' });
  });

  it('has no cycles', () => {
    expect(findCycles(files, edges)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const cycle = [
      { from: 'a.ts', to: 'b.ts' },
      { from: 'b.ts', to: 'c.ts' },
      { from: 'c.ts', to: 'a.ts' },
      { from: 'c.ts', to: 'd.ts' },
    ];
    expect(findCycles(['a.ts', 'b.ts', 'c.ts', 'd.ts'], cycle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(findCycles(['a.ts'], [{ from: 'a.ts', to: 'a.ts' }])).toEqual([['a.ts']]);
    expect(findCycles(['a.ts', 'b.ts'], [{ from: 'a.ts', to: 'b.ts' }])).toEqual([]);
  });

  it('app/ imports nothing from infra/ or token-service/', () => {
    expect(describeEdges(edges.filter(({ from, to }) => inFolder('app')(from) && (inFolder('infra')(to) || inFolder('token-service')(to))))).toEqual([]);
  });

  it('token-service/ imports from infra/ only the pure access rules and policy engine, and from app/ only the leaf modules it shares with the other servers', () => {
    const allowedFromInfra = (to: string) => Object.keys(TOKEN_SERVICE_MAY_IMPORT_FROM_INFRA).some((folder) => to.startsWith(folder));
    const outside = edges.filter(({ from, to }) => inFolder('token-service')(from) && ((inFolder('infra')(to) && !allowedFromInfra(to)) || (inFolder('app')(to) && !(to in TOKEN_SERVICE_MAY_IMPORT))));
    expect(describeEdges(outside)).toEqual([]);
    for (const allowed of Object.keys(TOKEN_SERVICE_MAY_IMPORT)) expect(relativeImports(allowed), allowed).toEqual([]);
  });

  it('what token-service/ reaches in infra/ stays in the allowed folders and never imports the CDK or the local cloud', () => {
    const reached = reachableFrom(files.filter(inFolder('token-service')), edges);
    const reachedInInfra = [...reached].filter(inFolder('infra')).sort();
    // The link routes do use them; an empty list would pass the checks below without meaning anything.
    expect(reachedInInfra).toContain('infra/access-rules/compile-access-rules.ts');
    expect(reachedInInfra).toContain('infra/policy-engine/evaluate-policy.ts');
    expect(reachedInInfra.filter((file) => !Object.keys(TOKEN_SERVICE_MAY_IMPORT_FROM_INFRA).some((folder) => file.startsWith(folder)))).toEqual([]);
    expect(reachedInInfra.filter(inFolder('infra/local'))).toEqual([]);
    const forbidden = [...reached].flatMap((file) => importSpecifiers(file).filter((specifier) => TOKEN_SERVICE_FORBIDDEN_PACKAGES.some((pattern) => pattern.test(specifier))).map((specifier) => `${file} -> ${specifier}`));
    expect(forbidden).toEqual([]);
  });

  it('infra/ outside infra/local/ imports nothing from infra/local/', () => {
    expect(describeEdges(edges.filter(({ from, to }) => inFolder('infra')(from) && !inFolder('infra/local')(from) && inFolder('infra/local')(to)))).toEqual([]);
  });
});
