import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { refuseUnsupportedNode } from '../../app/library/node/supported-node-version.ts';
import { meetsTarget, type BenchOptions, type BenchResult } from './bench-result.ts';

/**
 * `npm run bench`: runs every benchmark module, prints one table and writes the figures to
 * bench-results.json. `--quick` is a short smoke run (npm test runs it to keep them working).
 */
type BenchmarkModule = { title: string; load: () => Promise<(options: BenchOptions) => Promise<BenchResult[]>> };

export const BENCHMARKS: BenchmarkModule[] = [
  { title: 'policy evaluation', load: async () => (await import('./policy-evaluation.bench.ts')).runPolicyEvaluationBenchmark },
  { title: 'token service', load: async () => (await import('./token-service.bench.ts')).runTokenServiceBenchmark },
  { title: 'peers', load: async () => (await import('./peers.bench.ts')).runPeersBenchmark },
  { title: 'scale', load: async () => (await import('./scale.bench.ts')).runScaleBenchmark },
  { title: 'large upload', load: async () => (await import('./large-upload.bench.ts')).runLargeUploadBenchmark },
  { title: 'storage', load: async () => (await import('./storage.bench.ts')).runStorageBenchmark },
  { title: 'cdn', load: async () => (await import('./cdn.bench.ts')).runCdnBenchmark },
  { title: 'links', load: async () => (await import('./links.bench.ts')).runLinksBenchmark },
  { title: 'client bundle size', load: async () => (await import('./client-bundle-size.bench.ts')).runClientBundleSizeBenchmark },
];

export async function runBenchmarks(options: BenchOptions, only?: string[]): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const benchmark of BENCHMARKS) {
    if (only && only.length > 0 && !only.some((name) => benchmark.title.includes(name))) continue;
    process.stderr.write(`running ${benchmark.title}${options.quick ? ' (quick)' : ''}...\n`);
    const started = performance.now();
    const run = await benchmark.load();
    results.push(...(await run(options)));
    process.stderr.write(`  ${benchmark.title}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return results;
}

export function formatBenchTable(results: BenchResult[]): string {
  const rows = results.map((result) => [result.name, `${formatNumber(result.value)} ${result.unit}`, result.baseline, `${formatNumber(result.baselineValue)} ${result.unit}`, `${result.ratio.toFixed(2)}x`, formatTarget(result)]);
  const header = ['benchmark', 'value', 'baseline', 'baseline value', 'ratio', 'target'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** `<= 0.50x met`, `>= 0.90x missed`, or empty for a figure without a target. */
function formatTarget(result: BenchResult): string {
  if (!result.target) return '';
  return `${result.target.comparison === 'at most' ? '<=' : '>='} ${result.target.ratio.toFixed(2)}x ${meetsTarget(result) ? 'met' : 'missed'}`;
}

function formatNumber(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 100 ? 0 : 2);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  refuseUnsupportedNode();
  const quick = process.argv.includes('--quick');
  const only = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
  const started = Date.now();
  const results = await runBenchmarks({ quick }, only);
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  process.stdout.write(`\n${new Date().toISOString().slice(0, 10)} on ${machine} (${((Date.now() - started) / 1000).toFixed(0)} s)\n\n${formatBenchTable(results)}\n`);
  await writeFile('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
}
