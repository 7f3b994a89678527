import type { StorageOutputs } from '../library/index.ts';

/** What `/config.json` carries: the outputs the browser should use. */
export interface PageConfig {
  outputs: StorageOutputs;
}

/**
 * Tuning read from the page's address, so a test (or someone on a slow line) can choose smaller
 * upload parts and listing pages without a rebuild: `?partSize=5242880&concurrency=1&pageSize=2`.
 */
export interface PageTuning {
  /** Bytes per multipart part; the library refuses less than S3's 5 MiB. */
  partSize?: number;
  /** Parts in flight at once. */
  concurrency?: number;
  /** Entries per listing page before "Load more". @default 100 */
  pageSize: number;
}

const DEFAULT_PAGE_SIZE = 100;

export async function loadPageConfig(): Promise<PageConfig> {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(`the page's configuration is not available (HTTP ${response.status}); is the local cloud still starting?`);
  return (await response.json()) as PageConfig;
}

export function readPageTuning(search: string): PageTuning {
  const query = new URLSearchParams(search);
  const wholeNumber = (name: string): number | undefined => {
    const value = query.get(name);
    if (value === null || !/^\d{1,15}$/.test(value) || Number(value) === 0) return undefined;
    return Number(value);
  };
  return { partSize: wholeNumber('partSize'), concurrency: wholeNumber('concurrency'), pageSize: Math.min(wholeNumber('pageSize') ?? DEFAULT_PAGE_SIZE, 1000) };
}
