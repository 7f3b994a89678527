import { describe, expect, it } from 'vitest';
import { formatBenchTable, runBenchmarks } from './run.ts';

/** `npm run bench -- --quick` inside npm test, so the benchmarks keep working; figures are not asserted. */
describe('benchmarks, quick smoke run', () => {
  it('runs every benchmark and reports each figure next to a same-run baseline', { timeout: 300_000 }, async () => {
    const results = await runBenchmarks({ quick: true });
    const names = results.map((result) => result.name);
    expect(names.some((name) => name.includes('policy'))).toBe(true);
    expect(names.some((name) => name.includes('token service'))).toBe(true);
    expect(names.some((name) => name.includes('upload'))).toBe(true);
    expect(names.some((name) => name.includes('browser bundle'))).toBe(true);
    for (const result of results) {
      expect(Number.isFinite(result.value) && result.value >= 0, result.name).toBe(true);
      expect(result.baseline.length, result.name).toBeGreaterThan(0);
      expect(Number.isFinite(result.baselineValue), result.name).toBe(true);
    }
    expect(formatBenchTable(results).split('\n').length).toBe(results.length + 2);
  });
});
