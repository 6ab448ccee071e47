/**
 * Ids of the flows that ended most recently, each with the change epoch it
 * ended in, so that delta consumers (`FlowTable.changesSince`) learn which
 * flows left since their cursor. A fixed ring: the oldest ids are forgotten,
 * and a consumer whose cursor is older than what the ring still holds is
 * told how many it lost.
 */

/** Finished-flow ids kept. */
const ENDED_RING = 1 << 16;

export class EndedFlowRing {
  private readonly ids = new Float64Array(ENDED_RING);
  private readonly epochs = new Uint32Array(ENDED_RING);
  /** Flows ever pushed. */
  private count = 0;

  push(id: number, epoch: number): void {
    const at = this.count % ENDED_RING;
    this.ids[at] = id;
    this.epochs[at] = epoch;
    this.count++;
  }

  /** Appends to `out` the ids of flows that ended after `cursor`; returns how many of those are no longer remembered. */
  since(cursor: number, out: number[]): number {
    const kept = Math.min(this.count, ENDED_RING);
    for (let i = this.count - kept; i < this.count; i++) {
      const at = i % ENDED_RING;
      if (this.epochs[at] > cursor) out.push(this.ids[at]);
    }
    if (this.count > kept) {
      const oldestKept = this.epochs[this.count % ENDED_RING];
      if (oldestKept > cursor) return this.count - kept;
    }
    return 0;
  }
}
