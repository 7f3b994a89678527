import { describe, expect, it } from 'vitest';
import { formatBenchTable, runBenchmarks } from './run.ts';

/**
 * `npm run bench -- --quick` inside npm test, so the benchmarks keep working. Timing targets are
 * never asserted (a shared machine makes them noise); that every row exists and is sane is.
 */
describe('benchmarks, quick smoke run', () => {
  it('runs every benchmark and reports each figure next to a same-run baseline', { timeout: 300_000 }, async () => {
    const results = await runBenchmarks({ quick: true });
    const names = results.map((result) => result.name);
    const named = (part: string) => results.filter((result) => result.name.includes(part));
    expect(names.some((name) => name.includes('policy'))).toBe(true);
    expect(names.some((name) => name.startsWith('scale:'))).toBe(true);
    expect(names.some((name) => name.includes('token service'))).toBe(true);
    expect(names.some((name) => name.includes('browser bundle'))).toBe(true);
    for (const result of results) {
      expect(Number.isFinite(result.value) && result.value >= 0, result.name).toBe(true);
      expect(result.baseline.length, result.name).toBeGreaterThan(0);
      expect(Number.isFinite(result.baselineValue), result.name).toBe(true);
    }
    expect(new Set(names).size, 'every figure has its own name').toBe(names.length);

    // The peers table: every server answered the load, used CPU and memory (moto only when installed).
    for (const peer of ['s3rver', 'ours, SigV4 + IAM, HTTPS', 'ours, SigV4 + IAM, loopback HTTP']) {
      for (const figure of ['requests/s', 'p50 per PUT+GET', 'p99 per PUT+GET', 'server CPU per request', 'server RSS idle', 'server RSS under load']) {
        const rows = named(`${peer}, ${figure}`);
        expect(rows.length, `${peer}, ${figure}`).toBeGreaterThan(0);
        for (const row of rows) expect(row.value > 0 && row.baselineValue > 0, row.name).toBe(true);
      }
    }
    expect(named('server CPU per request (against s3rver)')).toHaveLength(2);
    expect(named('main job RSS idle after a restart')[0]!.value).toBeGreaterThan(0);

    // The large upload: the bytes read back match the source, and the credentials were refreshed mid-upload.
    const readBack = named("bytes read back with the source's SHA-256");
    expect(readBack).toHaveLength(1);
    expect(readBack[0]!.value).toBe(readBack[0]!.baselineValue);
    expect(readBack[0]!.value).toBeGreaterThan(0);
    expect(named('credential refreshes during the upload')[0]!.value).toBeGreaterThanOrEqual(1);
    expect(named('client library multipart')[0]!.value).toBeGreaterThan(0);
    expect(named('client memory growth')[0]!.value).toBeGreaterThan(0);

    expect(formatBenchTable(results).split('\n').length).toBe(results.length + 2);
  });
});
