/** What is remembered about a multipart upload in progress, so it can continue after a crash. */
export interface ResumeRecord {
  uploadId: string;
  key: string;
  size: number;
  partSize: number;
  fingerprint: string;
  createdAt: string;
}

/** Where resume records live: a file for the CLI, localStorage in a browser, memory in tests. */
export interface ResumeStore {
  get(id: string): Promise<ResumeRecord | undefined>;
  set(id: string, record: ResumeRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

export class MemoryResumeStore implements ResumeStore {
  private readonly records = new Map<string, ResumeRecord>();
  async get(id: string) {
    return this.records.get(id);
  }
  async set(id: string, record: ResumeRecord) {
    this.records.set(id, record);
  }
  async delete(id: string) {
    this.records.delete(id);
  }
}

/** Browser storage for resume records (survives a reload of the page). */
export class LocalStorageResumeStore implements ResumeStore {
  constructor(private readonly storage: Storage, private readonly namespace = 'scoped-storage-resume:') {}
  async get(id: string) {
    const raw = this.storage.getItem(this.namespace + id);
    return raw ? (JSON.parse(raw) as ResumeRecord) : undefined;
  }
  async set(id: string, record: ResumeRecord) {
    this.storage.setItem(this.namespace + id, JSON.stringify(record));
  }
  async delete(id: string) {
    this.storage.removeItem(this.namespace + id);
  }
}
