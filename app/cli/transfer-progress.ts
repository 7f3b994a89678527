import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr for a transfer, silent when output is not a terminal or is JSON. */
export function createTransferProgress(label: string, enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return { update: (_loaded: number, _total: number) => undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {loadedMiB}/{totalMiB} MiB | {speed} MiB/s`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  const startedAt = Date.now();
  let started = false;
  const toMiB = (bytes: number) => (bytes / 1048576).toFixed(1);
  return {
    update(loaded: number, total: number) {
      const payload = { loadedMiB: toMiB(loaded), totalMiB: toMiB(total), speed: (loaded / 1048576 / Math.max(0.001, (Date.now() - startedAt) / 1000)).toFixed(1) };
      if (!started) {
        bar.start(Math.max(total, 1), loaded, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(loaded, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
