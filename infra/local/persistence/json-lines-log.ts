import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';

/**
 * An append-only file of JSON records, one per line. An append is on disk (fdatasync) before it
 * resolves; {@link rewrite} replaces the whole file atomically, for compaction. A crash during an
 * append leaves at most a torn last line, which {@link JsonLinesLog.open} skips. Writes run one
 * at a time in the order they were asked for.
 */
export class JsonLinesLog<Entry> {
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    /** Lines in the file once every queued write has run. */
    private lines: number,
  ) {}

  /** Reads the records in order; lines that are not a record (a torn last line) are skipped. A missing file is empty. */
  static async open<Entry>(path: string, parse: (value: unknown) => Entry | undefined): Promise<{ log: JsonLinesLog<Entry>; entries: Entry[] }> {
    const entries: Entry[] = [];
    for (const line of (await readIfExists(path)).split('\n')) {
      const entry = line === '' ? undefined : parseLine(line, parse);
      if (entry !== undefined) entries.push(entry);
    }
    return { log: new JsonLinesLog<Entry>(path, entries.length), entries };
  }

  get lineCount(): number {
    return this.lines;
  }

  append(entry: Entry): Promise<void> {
    this.lines += 1;
    const line = `${JSON.stringify(entry)}\n`;
    return this.enqueue(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(this.path, 'a', 0o600);
      try {
        await handle.appendFile(line);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
  }

  /** Replaces the file with exactly these records; appends asked for later land after them. */
  rewrite(entries: readonly Entry[]): Promise<void> {
    this.lines = entries.length;
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    return this.enqueue(() => writeFileAtomic(this.path, text));
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.queue.catch(() => undefined).then(write);
    this.queue = next;
    return next;
  }
}

function parseLine<Entry>(line: string, parse: (value: unknown) => Entry | undefined): Entry | undefined {
  try {
    return parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
