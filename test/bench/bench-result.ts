/** One figure of `npm run bench`, always next to a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue. */
  ratio: number;
  /** The ratio the project aims for, when it has one (issue 14's targets). */
  target?: RatioTarget;
}

/** A target on the ratio: `at most 0.5` (lower is better) or `at least 0.9` (higher is better). */
export interface RatioTarget {
  comparison: 'at most' | 'at least';
  ratio: number;
}

export function benchResult(name: string, value: number, unit: string, baseline: string, baselineValue: number, target?: RatioTarget): BenchResult {
  return { name, value, unit, baseline, baselineValue, ratio: baselineValue === 0 ? 0 : value / baselineValue, ...(target ? { target } : {}) };
}

/** Whether a figure meets its target; undefined when it has none. */
export function meetsTarget(result: BenchResult): boolean | undefined {
  if (!result.target) return undefined;
  return result.target.comparison === 'at most' ? result.ratio <= result.target.ratio : result.ratio >= result.target.ratio;
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
