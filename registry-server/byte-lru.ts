/**
 * A least-recently-used cache bounded by bytes, not entries: each value is stored with its size,
 * and inserting evicts the least recently used entries until the total fits. A value larger than
 * `maxEntryBytes` is never stored. Entries carry a group (a skill's name) so every entry derived
 * from one skill can be dropped at once when it changes.
 */
export interface ByteLruStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

interface Slot<V> {
  value: V;
  bytes: number;
  group: string;
}

export class ByteLru<V> {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  readonly #entries = new Map<string, Slot<V>>();
  readonly #groups = new Map<string, Set<string>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number = Math.floor(maxBytes / 8),
  ) {}

  /** The entry, as most recently used; `counted: false` for a second look in the same read (its first one counted). */
  get(key: string, counted = true): V | undefined {
    const slot = this.#entries.get(key);
    if (!slot) {
      if (counted) this.#misses++;
      return undefined;
    }
    if (counted) this.#hits++;
    // Most recently used goes last.
    this.#entries.delete(key);
    this.#entries.set(key, slot);
    return slot.value;
  }

  /** Stores `value` as `bytes` bytes; returns false when it is too large to keep. */
  set(key: string, group: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.maxEntryBytes || bytes > this.maxBytes) return false;
    this.#entries.set(key, { value, bytes, group });
    this.#bytes += bytes;
    let keys = this.#groups.get(group);
    if (!keys) {
      keys = new Set();
      this.#groups.set(group, keys);
    }
    keys.add(key);
    for (const [oldest] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.delete(oldest);
      this.#evictions++;
    }
    return true;
  }

  delete(key: string): void {
    const slot = this.#entries.get(key);
    if (!slot) return;
    this.#entries.delete(key);
    this.#bytes -= slot.bytes;
    const keys = this.#groups.get(slot.group);
    keys?.delete(key);
    if (keys?.size === 0) this.#groups.delete(slot.group);
  }

  /** Drops every entry of `group`. */
  deleteGroup(group: string): void {
    for (const key of [...(this.#groups.get(group) ?? [])]) this.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#groups.clear();
    this.#bytes = 0;
  }

  stats(): ByteLruStats {
    return { entries: this.#entries.size, bytes: this.#bytes, maxBytes: this.maxBytes, hits: this.#hits, misses: this.#misses, evictions: this.#evictions };
  }
}
