/**
 * Packets and bytes per flow id within one spool segment: an open-addressing
 * hash (linear probing) over typed arrays, so the append path counts a packet
 * without allocating. Flow ids are the flow table's `generation * 2^24 + slot`
 * numbers (exact doubles up to 2^52) or -1 for packets without a flow.
 */

import { hashFlowId } from './flow-id-hash';

/** linkType of an entry whose packets came over more than one link type. */
export const MIXED_LINK_TYPES = -2;

function pow2AtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

export class FlowIndex {
  readonly capacity: number;
  private readonly mask: number;
  private readonly keys: Float64Array;
  private readonly packetCounts: Uint32Array;
  private readonly byteCounts: Float64Array;
  private readonly linkTypes: Int32Array;
  /** Occupied slots in insertion order: iteration and clearing touch only these. */
  private readonly order: Int32Array;
  private count = 0;

  /**
   * Room for `maxEntries` flows at a load factor of at most `maxLoad` (one
   * half while counting, three quarters for a sealed segment's copy). A slot
   * is empty while its packet count is 0, so a new index needs no fill.
   */
  constructor(maxEntries: number, maxLoad = 0.5) {
    this.capacity = pow2AtLeast(Math.ceil(maxEntries / maxLoad));
    this.mask = this.capacity - 1;
    this.keys = new Float64Array(this.capacity);
    this.packetCounts = new Uint32Array(this.capacity);
    this.byteCounts = new Float64Array(this.capacity);
    this.linkTypes = new Int32Array(this.capacity);
    this.order = new Int32Array(Math.min(this.capacity, Math.max(16, maxEntries)));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of typed arrays this index holds. */
  get memoryBytes(): number {
    return this.capacity * (8 + 4 + 8 + 4) + this.order.length * 4;
  }

  /** Counts one packet; the caller keeps `size` below the maxEntries given to the constructor. */
  add(flowId: number, wireLength: number, linkType: number): void {
    const mask = this.mask;
    let i = hashFlowId(flowId) & mask;
    for (;;) {
      if (this.packetCounts[i] === 0) {
        this.keys[i] = flowId;
        this.packetCounts[i] = 1;
        this.byteCounts[i] = wireLength;
        this.linkTypes[i] = linkType;
        this.order[this.count++] = i;
        return;
      }
      if (this.keys[i] === flowId) {
        this.packetCounts[i]++;
        this.byteCounts[i] += wireLength;
        if (this.linkTypes[i] !== linkType) this.linkTypes[i] = MIXED_LINK_TYPES;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Slot of `flowId`, or -1. */
  find(flowId: number): number {
    const mask = this.mask;
    let i = hashFlowId(flowId) & mask;
    for (;;) {
      if (this.packetCounts[i] === 0) return -1;
      if (this.keys[i] === flowId) return i;
      i = (i + 1) & mask;
    }
  }

  /** The n-th occupied slot (0 <= n < size), for iteration. */
  slotAt(n: number): number {
    return this.order[n];
  }

  flowAt(slot: number): number {
    return this.keys[slot];
  }

  packetsAt(slot: number): number {
    return this.packetCounts[slot];
  }

  bytesAt(slot: number): number {
    return this.byteCounts[slot];
  }

  linkTypeAt(slot: number): number {
    return this.linkTypes[slot];
  }

  clear(): void {
    for (let n = 0; n < this.count; n++) this.packetCounts[this.order[n]] = 0;
    this.count = 0;
  }

  /** A right-sized copy, kept with a sealed segment. */
  compact(): FlowIndex {
    const out = new FlowIndex(Math.max(1, this.count), 0.75);
    for (let n = 0; n < this.count; n++) {
      const s = this.order[n];
      const mask = out.mask;
      let i = hashFlowId(this.keys[s]) & mask;
      while (out.packetCounts[i] !== 0) i = (i + 1) & mask;
      out.keys[i] = this.keys[s];
      out.packetCounts[i] = this.packetCounts[s];
      out.byteCounts[i] = this.byteCounts[s];
      out.linkTypes[i] = this.linkTypes[s];
      out.order[out.count++] = i;
    }
    return out;
  }
}
