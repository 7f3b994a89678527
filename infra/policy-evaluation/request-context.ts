export type ContextValue = string | readonly string[];

/**
 * The request's condition keys, looked up case-insensitively as AWS does (keys are stored
 * lower-cased once). Values keep their case.
 */
export class RequestContext {
  private readonly values = new Map<string, ContextValue>();

  constructor(entries?: Record<string, ContextValue | undefined>) {
    if (entries) for (const [key, value] of Object.entries(entries)) if (value !== undefined) this.values.set(key.toLowerCase(), value);
  }

  get(lowerCaseKey: string): ContextValue | undefined {
    return this.values.get(lowerCaseKey);
  }

  set(key: string, value: ContextValue): this {
    this.values.set(key.toLowerCase(), value);
    return this;
  }

  entries(): IterableIterator<[string, ContextValue]> {
    return this.values.entries();
  }
}
