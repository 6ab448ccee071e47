/**
 * A Map with a hard capacity. When full, inserting a new key evicts the oldest
 * entry (insertion order) and counts it, so memory stays bounded under floods.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries evicted because the map was full. */
  evicted = 0;

  /** `onEvict` sees each entry evicted to make room (to reuse its value). */
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Inserts or replaces a value; a replaced key keeps its age. */
  set(key: K, value: V): void {
    if (!this.map.has(key)) this.makeRoom();
    this.map.set(key, value);
  }

  /** Inserts or replaces a value and marks the key as the newest. Returns the key evicted to make room, if any. */
  setNewest(key: K, value: V): K | undefined {
    let evicted: K | undefined;
    if (this.map.has(key)) this.map.delete(key);
    else evicted = this.makeRoom();
    this.map.set(key, value);
    return evicted;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** The oldest entry, or undefined when empty. */
  oldest(): [K, V] | undefined {
    const it = this.map.entries().next();
    return it.done ? undefined : it.value;
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  /** Evicts the oldest entry when full; returns its key. */
  private makeRoom(): K | undefined {
    if (this.map.size < this.capacity) return undefined;
    const first = this.map.entries().next();
    if (first.done) return undefined;
    const [key, value] = first.value;
    this.map.delete(key);
    this.evicted++;
    this.onEvict?.(key, value);
    return key;
  }
}
