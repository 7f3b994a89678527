/** `1536` -> `1.5 KiB`: sizes as people read them (binary units, one decimal). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** A `<time>` element with the machine-readable instant and the local wording. */
export function timeElement(instant: Date): HTMLTimeElement {
  const time = document.createElement('time');
  time.dateTime = instant.toISOString();
  time.textContent = instant.toLocaleString();
  return time;
}

/** `4` -> `4 files`, `1` -> `1 file`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
