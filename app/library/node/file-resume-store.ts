import { readJsonFileOrEmpty, writePrivateJsonFile } from './private-json-file.ts';
import type { ResumeRecord, ResumeStore } from '../resume-store.ts';

/** Resume records in one user-only JSON file, so the CLI can continue an upload after a crash. */
export class FileResumeStore implements ResumeStore {
  constructor(private readonly path: string) {}

  async get(id: string): Promise<ResumeRecord | undefined> {
    return (await readJsonFileOrEmpty<Record<string, ResumeRecord>>(this.path))[id];
  }

  async set(id: string, record: ResumeRecord): Promise<void> {
    const records = await readJsonFileOrEmpty<Record<string, ResumeRecord>>(this.path);
    records[id] = record;
    await writePrivateJsonFile(this.path, records);
  }

  async delete(id: string): Promise<void> {
    const records = await readJsonFileOrEmpty<Record<string, ResumeRecord>>(this.path);
    if (!(id in records)) return;
    delete records[id];
    await writePrivateJsonFile(this.path, records);
  }
}
