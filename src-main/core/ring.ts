/**
 * A fixed-capacity ring: pushing onto a full ring overwrites the oldest item and counts it. Its storage grows with
 * its items up to the capacity, so the many rings that never fill (a short flow's rate series) stay small.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private length = 0;
  /** Items pushed out by newer ones. */
  overwritten = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = [];
  }

  get size(): number {
    return this.length;
  }

  push(item: T): void {
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = item;
      this.length++;
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.overwritten++;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.length === 0 ? undefined : this.items[(this.start + this.length - 1) % this.capacity];
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** The newest `n` items, oldest first. */
  tail(n: number): T[] {
    const count = Math.max(0, Math.min(n, this.length));
    const out: T[] = [];
    for (let i = this.length - count; i < this.length; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.items.length = 0;
    this.start = 0;
    this.length = 0;
  }
}
