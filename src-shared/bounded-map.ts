/**
 * A Map with a hard capacity. When full, inserting a new key evicts the oldest
 * entry (insertion order) and counts it, so memory stays bounded under floods.
 *
 * The age order is a linked list of entries rather than the Map's own
 * iteration order: a JavaScript Map keeps deleted entries as holes until it
 * rehashes, so finding the oldest through `keys().next()` walks every hole
 * before it, and a full map that evicts on each insert paid about 1.5 us
 * per insert. Here the oldest is one field away, whatever was deleted.
 */
interface Entry<K, V> {
  key: K;
  value: V;
  older: Entry<K, V> | undefined;
  newer: Entry<K, V> | undefined;
}

export class BoundedMap<K, V> {
  private readonly map = new Map<K, Entry<K, V>>();
  private oldestEntry: Entry<K, V> | undefined;
  private newestEntry: Entry<K, V> | undefined;
  /** The last entry evicted or deleted, reused by the next insert: a full map evicts on every insert. */
  private spare: Entry<K, V> | undefined;
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
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Inserts or replaces a value; a replaced key keeps its age. */
  set(key: K, value: V): void {
    const e = this.map.get(key);
    if (e !== undefined) {
      e.value = value;
      return;
    }
    this.makeRoom();
    this.insertNewest(key, value);
  }

  /** Inserts or replaces a value and marks the key as the newest. Returns the key evicted to make room, if any. */
  setNewest(key: K, value: V): K | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      e.value = value;
      if (e !== this.newestEntry) {
        this.unlink(e);
        this.linkNewest(e);
      }
      return undefined;
    }
    const evicted = this.makeRoom();
    this.insertNewest(key, value);
    return evicted;
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.map.delete(key);
    this.unlink(e);
    this.release(e);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.oldestEntry = undefined;
    this.newestEntry = undefined;
  }

  /** The oldest entry, or undefined when empty. */
  oldest(): [K, V] | undefined {
    const e = this.oldestEntry;
    return e === undefined ? undefined : [e.key, e.value];
  }

  /** Entries from the oldest to the newest. The entry just read may be deleted while iterating. */
  *entries(): IterableIterator<[K, V]> {
    for (let e = this.oldestEntry; e !== undefined; ) {
      // Read before yielding: deleting the entry yielded unlinks it.
      const next = e.newer;
      yield [e.key, e.value];
      e = next;
    }
  }

  /** Keys from the oldest to the newest (as `entries`). */
  *keys(): IterableIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Values from the oldest to the newest (as `entries`). */
  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  /** Evicts the oldest entry when full; returns its key. */
  private makeRoom(): K | undefined {
    if (this.map.size < this.capacity) return undefined;
    const e = this.oldestEntry;
    if (e === undefined) return undefined;
    this.map.delete(e.key);
    this.unlink(e);
    this.evicted++;
    const key = e.key;
    this.onEvict?.(key, e.value);
    this.release(e);
    return key;
  }

  private insertNewest(key: K, value: V): void {
    let e = this.spare;
    if (e !== undefined) {
      this.spare = undefined;
      e.key = key;
      e.value = value;
    } else {
      e = { key, value, older: undefined, newer: undefined };
    }
    this.map.set(key, e);
    this.linkNewest(e);
  }

  private linkNewest(e: Entry<K, V>): void {
    e.older = this.newestEntry;
    e.newer = undefined;
    if (this.newestEntry !== undefined) this.newestEntry.newer = e;
    else this.oldestEntry = e;
    this.newestEntry = e;
  }

  /** Keeps an entry that left the map for the next insert, holding nothing of what it held. */
  private release(e: Entry<K, V>): void {
    e.key = undefined as K;
    e.value = undefined as V;
    this.spare = e;
  }

  private unlink(e: Entry<K, V>): void {
    if (e.older !== undefined) e.older.newer = e.newer;
    else this.oldestEntry = e.newer;
    if (e.newer !== undefined) e.newer.older = e.older;
    else this.newestEntry = e.older;
    e.older = undefined;
    e.newer = undefined;
  }
}
