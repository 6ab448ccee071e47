/** A fixed-capacity ring of samples. Pushing returns a new header over the same backing array, so a store sees a new
 *  value each second while memory and copy cost stay constant however long the app runs. Only the newest header is
 *  valid once the ring has wrapped: readers that must keep a snapshot copy it with `ringToArray`. */
export interface Ring<T> {
  readonly buffer: T[];
  readonly capacity: number;
  /** Index of the oldest item in `buffer`. */
  readonly start: number;
  readonly length: number;
  /** Items pushed out because the ring was full. */
  readonly overwritten: number;
}

export function createRing<T>(capacity: number): Ring<T> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  return { buffer: [], capacity, start: 0, length: 0, overwritten: 0 };
}

export function ringPush<T>(ring: Ring<T>, item: T): Ring<T> {
  const { buffer, capacity, start, length } = ring;
  if (length < capacity) {
    buffer[(start + length) % capacity] = item;
    return { ...ring, length: length + 1 };
  }
  buffer[start] = item;
  return { ...ring, start: (start + 1) % capacity, overwritten: ring.overwritten + 1 };
}

/** The newest `count` items (all by default), oldest first. */
export function ringToArray<T>(ring: Ring<T>, count = ring.length): T[] {
  const n = Math.max(0, Math.min(count, ring.length));
  const out = new Array<T>(n);
  const first = ring.start + ring.length - n;
  for (let i = 0; i < n; i++) out[i] = ring.buffer[(first + i) % ring.capacity];
  return out;
}

export function ringLast<T>(ring: Ring<T>): T | undefined {
  return ring.length === 0 ? undefined : ring.buffer[(ring.start + ring.length - 1) % ring.capacity];
}

export function ringFirst<T>(ring: Ring<T>): T | undefined {
  return ring.length === 0 ? undefined : ring.buffer[ring.start];
}
