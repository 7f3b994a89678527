/** One figure of `npm run bench`, always next to a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue. */
  ratio: number;
}

export function benchResult(name: string, value: number, unit: string, baseline: string, baselineValue: number): BenchResult {
  return { name, value, unit, baseline, baselineValue, ratio: baselineValue === 0 ? 0 : value / baselineValue };
}

export interface BenchOptions {
  quick: boolean;
}

/** Runs `body` repeatedly for about `durationMs` and returns the operations per second. */
export function measureRate(body: () => void, durationMs: number): number {
  const started = performance.now();
  let operations = 0;
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let index = 0; index < 1000; index += 1) body();
    operations += 1000;
    elapsed = performance.now() - started;
  }
  return (operations / elapsed) * 1000;
}

export function percentile(sortedValues: number[], fraction: number): number {
  if (sortedValues.length === 0) return 0;
  return sortedValues[Math.min(sortedValues.length - 1, Math.floor(fraction * sortedValues.length))]!;
}
