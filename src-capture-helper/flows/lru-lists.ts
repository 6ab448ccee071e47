/**
 * Least-recently-used lists of flow slots, one per idle timeout class, without
 * moving anything on the packet path.
 *
 * A doubly linked list moves a flow to the tail on every packet: four writes
 * at its neighbours, which sit at random places in memory, so most packets
 * paid two or three cache misses for the list alone. Here each list is an
 * append-only log of slots: a packet appends its slot (a sequential write)
 * and records the position in `at`, and an earlier entry of the same slot
 * becomes stale. Reading from the head, skipping stale entries, gives exactly
 * the order of last use, as the linked list did. A full log is compacted
 * (stale entries dropped) and grown when more than half of it is live, so an
 * append costs O(1) amortized and a log holds at most about four entries per
 * live slot.
 */

const NIL = -1;
/** `at[slot]` packs the log position and the list: position * LISTS_MUL + list. */
const LIST_BITS = 3;
const LIST_MASK = (1 << LIST_BITS) - 1;
const MIN_LOG = 64;

export class LruLists {
  /** Per slot: the position of its live entry and its list, or NIL when in no list. */
  private at: Int32Array;
  private readonly logs: Int32Array[] = [];
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;

  constructor(
    readonly listCount: number,
    capacity: number,
  ) {
    if (listCount < 1 || listCount > LIST_MASK + 1) throw new RangeError(`between 1 and ${LIST_MASK + 1} lists`);
    this.at = new Int32Array(capacity).fill(NIL);
    for (let c = 0; c < listCount; c++) this.logs.push(new Int32Array(MIN_LOG));
    this.heads = new Int32Array(listCount);
    this.tails = new Int32Array(listCount);
  }

  /** Room for slots below `capacity`. */
  grow(capacity: number): void {
    if (capacity <= this.at.length) return;
    const at = new Int32Array(capacity).fill(NIL);
    at.set(this.at);
    this.at = at;
  }

  /**
   * Makes `slot`, which is in `list`, its most recently used. Only the log's
   * last entry is read (it is in cache): if it is this slot, it is its live
   * entry, since the slot's entries in other lists and its entries of before
   * a `remove` all come before the `append` that put it in this list.
   */
  touch(slot: number, list: number): void {
    const t = this.tails[list];
    if (t > 0 && this.logs[list][t - 1] === slot) return;
    this.append(slot, list);
  }

  /** Makes `slot` the most recently used of `list`, taking it out of any list it was in. */
  append(slot: number, list: number): void {
    let t = this.tails[list];
    if (t === this.logs[list].length) {
      this.compact(list);
      t = this.tails[list];
    }
    this.logs[list][t] = slot;
    this.at[slot] = (t << LIST_BITS) + list;
    this.tails[list] = t + 1;
  }

  /** Takes `slot` out of its list. */
  remove(slot: number): void {
    this.at[slot] = NIL;
  }

  /** The least recently used slot of `list`, or NIL when it is empty. */
  oldest(list: number): number {
    const log = this.logs[list];
    const t = this.tails[list];
    let h = this.heads[list];
    while (h < t && this.at[log[h]] !== (h << LIST_BITS) + list) h++;
    this.heads[list] = h;
    return h < t ? log[h] : NIL;
  }

  /** Entries the log of `list` has room for (its memory, for tests). */
  logLength(list: number): number {
    return this.logs[list].length;
  }

  /** Live entries of `list`, oldest first (for tests and checks). */
  slots(list: number): number[] {
    const out: number[] = [];
    const log = this.logs[list];
    for (let h = this.heads[list]; h < this.tails[list]; h++) if (this.at[log[h]] === (h << LIST_BITS) + list) out.push(log[h]);
    return out;
  }

  /** Drops the stale entries of a full log, growing it when more than half is live. */
  private compact(list: number): void {
    const log = this.logs[list];
    const t = this.tails[list];
    // In place: an entry only moves down, and a slot's live entry is its last one.
    let n = 0;
    for (let h = this.heads[list]; h < t; h++) {
      const s = log[h];
      if (this.at[s] !== (h << LIST_BITS) + list) continue;
      log[n] = s;
      this.at[s] = (n << LIST_BITS) + list;
      n++;
    }
    if (n * 2 > log.length) {
      const grown = new Int32Array(log.length * 2);
      grown.set(log.subarray(0, n));
      this.logs[list] = grown;
    }
    this.heads[list] = 0;
    this.tails[list] = n;
  }
}
