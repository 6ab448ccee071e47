/**
 * Packets, bytes and time range per flow id of what rotated out of the spool,
 * for at most `maxFlows` flows: past that, the flow that rotated out first is
 * forgotten. An open-addressing hash over typed arrays (linear probing,
 * deletion by backward shift) and a ring of ids in arrival order, so adding,
 * merging and forgetting are O(1) with no allocation per flow: a rotation of
 * a segment with tens of thousands of flows stays cheap however many flows
 * the table already holds.
 */

import { hashFlowId } from './flow-id-hash';

const MIN_CAPACITY = 1024;

export class RotatedFlows {
  private mask = MIN_CAPACITY - 1;
  private used = new Uint8Array(MIN_CAPACITY);
  private keys = new Float64Array(MIN_CAPACITY);
  private packets = new Float64Array(MIN_CAPACITY);
  private bytes = new Float64Array(MIN_CAPACITY);
  private minTs = new Float64Array(MIN_CAPACITY);
  private maxTs = new Float64Array(MIN_CAPACITY);
  /** Ids in the order they first rotated out: a ring from `head`, `count` long. */
  private order = new Float64Array(MIN_CAPACITY / 2);
  private head = 0;
  private count = 0;

  constructor(private readonly maxFlows: number) {}

  get size(): number {
    return this.count;
  }

  /**
   * Adds what one segment held of flow `id`. Returns true when another flow
   * had to be forgotten to make room.
   */
  add(id: number, packets: number, bytes: number, minTs: number, maxTs: number): boolean {
    let i = hashFlowId(id) & this.mask;
    while (this.used[i] === 1) {
      if (this.keys[i] === id) {
        this.packets[i] += packets;
        this.bytes[i] += bytes;
        if (minTs < this.minTs[i]) this.minTs[i] = minTs;
        if (maxTs > this.maxTs[i]) this.maxTs[i] = maxTs;
        return false;
      }
      i = (i + 1) & this.mask;
    }
    if (this.maxFlows === 0) return true;
    let forgot = false;
    if (this.count >= this.maxFlows) {
      this.remove(this.order[this.head]);
      this.head = (this.head + 1) % this.order.length;
      this.count--;
      forgot = true;
    }
    const grows = (this.count + 1) * 2 > this.mask + 1;
    if (grows) this.grow();
    // Forgetting shifts entries back and growing rehashes: the free slot found above may have moved.
    if (forgot || grows) i = this.freeSlotFor(id);
    this.used[i] = 1;
    this.keys[i] = id;
    this.packets[i] = packets;
    this.bytes[i] = bytes;
    this.minTs[i] = minTs;
    this.maxTs[i] = maxTs;
    if (this.count === this.order.length) this.growOrder();
    this.order[(this.head + this.count) % this.order.length] = id;
    this.count++;
    return forgot;
  }

  private freeSlotFor(id: number): number {
    let i = hashFlowId(id) & this.mask;
    while (this.used[i] === 1) i = (i + 1) & this.mask;
    return i;
  }

  /** Slot of `id`, or -1. */
  find(id: number): number {
    let i = hashFlowId(id) & this.mask;
    while (this.used[i] === 1) {
      if (this.keys[i] === id) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** The n-th flow id in the order they rotated out (0 <= n < size). */
  idAt(n: number): number {
    return this.order[(this.head + n) % this.order.length];
  }

  packetsAt(slot: number): number {
    return this.packets[slot];
  }

  bytesAt(slot: number): number {
    return this.bytes[slot];
  }

  minTsAt(slot: number): number {
    return this.minTs[slot];
  }

  maxTsAt(slot: number): number {
    return this.maxTs[slot];
  }

  /** Empties slot of `id` and shifts back the entries of its probe run, so lookups need no tombstones. */
  private remove(id: number): void {
    const mask = this.mask;
    let hole = this.find(id);
    if (hole < 0) return;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      if (this.used[j] === 0) break;
      const home = hashFlowId(this.keys[j]) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      this.keys[hole] = this.keys[j];
      this.packets[hole] = this.packets[j];
      this.bytes[hole] = this.bytes[j];
      this.minTs[hole] = this.minTs[j];
      this.maxTs[hole] = this.maxTs[j];
      hole = j;
    }
    this.used[hole] = 0;
  }

  private grow(): void {
    const { used, keys, packets, bytes, minTs, maxTs } = this;
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.used = new Uint8Array(capacity);
    this.keys = new Float64Array(capacity);
    this.packets = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.minTs = new Float64Array(capacity);
    this.maxTs = new Float64Array(capacity);
    for (let s = 0; s < used.length; s++) {
      if (used[s] === 0) continue;
      const i = this.freeSlotFor(keys[s]);
      this.used[i] = 1;
      this.keys[i] = keys[s];
      this.packets[i] = packets[s];
      this.bytes[i] = bytes[s];
      this.minTs[i] = minTs[s];
      this.maxTs[i] = maxTs[s];
    }
  }

  private growOrder(): void {
    const next = new Float64Array(this.order.length * 2);
    for (let n = 0; n < this.count; n++) next[n] = this.idAt(n);
    this.order = next;
    this.head = 0;
  }
}
