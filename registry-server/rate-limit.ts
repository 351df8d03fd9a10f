/** Fixed-window counters per key (a token id or an address), kept in memory. */
export class RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts one event; false when the key is over its limit for the current window. */
  hit(key: string, at = Date.now()): boolean {
    const window = this.#windows.get(key);
    if (!window || window.resetAt <= at) {
      if (this.#windows.size > 10_000) this.#sweep(at);
      this.#windows.set(key, { count: 1, resetAt: at + this.windowMs });
      return this.limit >= 1;
    }
    window.count++;
    return window.count <= this.limit;
  }

  blocked(key: string, at = Date.now()): boolean {
    const window = this.#windows.get(key);
    return window !== undefined && window.resetAt > at && window.count >= this.limit;
  }

  retryAfterSeconds(key: string, at = Date.now()): number {
    const window = this.#windows.get(key);
    return window ? Math.max(1, Math.ceil((window.resetAt - at) / 1000)) : 1;
  }

  #sweep(at: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= at) this.#windows.delete(key);
  }
}
