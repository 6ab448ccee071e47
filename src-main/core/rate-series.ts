import type { RatePoint } from '../api/types/flows';

/** Numbers of a point besides its time: bps A→B, bps B→A, pps A→B, pps B→A. */
const VALUES = 4;

/**
 * The storage of up to `maxSeries` rate series of `points` points each, in two typed arrays allocated whole with the
 * first series: the series of a busy book take the same memory from their first minute to their tenth, and hold no
 * object per point for the collector to trace (a point as an object costs about 100 bytes; here 24).
 */
export class RateSeriesStore {
  private times: Float64Array | null = null;
  private values: Float32Array | null = null;
  private slotsUsed = 0;
  /** Series given back, emptied, for the next `create`. */
  private readonly released: RateSeries[] = [];

  constructor(
    readonly maxSeries: number,
    readonly points: number,
  ) {}

  /** An empty series: one given back by `release`, else a slot never used before; null when every slot is in use. */
  create(): RateSeries | null {
    const reused = this.released.pop();
    if (reused !== undefined) return reused;
    if (this.slotsUsed >= this.maxSeries) return null;
    this.times ??= new Float64Array(this.maxSeries * this.points);
    this.values ??= new Float32Array(this.maxSeries * this.points * VALUES);
    return new RateSeries(this.times, this.values, this.slotsUsed++ * this.points, this.points);
  }

  /** Empties a series and keeps its slot for the next `create`. */
  release(series: RateSeries): void {
    series.clear();
    this.released.push(series);
  }
}

/** One flow's rate points in a slot of a RateSeriesStore: a ring, the oldest overwritten when full. */
export class RateSeries {
  private start = 0;
  private length = 0;

  constructor(
    private readonly times: Float64Array,
    private readonly values: Float32Array,
    private readonly base: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.length;
  }

  push(p: RatePoint): void {
    let i: number;
    if (this.length < this.capacity) {
      i = (this.start + this.length) % this.capacity;
      this.length++;
    } else {
      i = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    const at = this.base + i;
    this.times[at] = p.tsMs;
    const v = at * VALUES;
    this.values[v] = p.bpsAToB;
    this.values[v + 1] = p.bpsBToA;
    this.values[v + 2] = p.ppsAToB;
    this.values[v + 3] = p.ppsBToA;
  }

  /** Time of the newest point, or undefined when empty. */
  lastTsMs(): number | undefined {
    return this.length === 0 ? undefined : this.times[this.base + ((this.start + this.length - 1) % this.capacity)];
  }

  /** Oldest first. */
  toArray(): RatePoint[] {
    const out: RatePoint[] = [];
    for (let k = 0; k < this.length; k++) {
      const at = this.base + ((this.start + k) % this.capacity);
      const v = at * VALUES;
      out.push({ tsMs: this.times[at], bpsAToB: this.values[v], bpsBToA: this.values[v + 1], ppsAToB: this.values[v + 2], ppsBToA: this.values[v + 3] });
    }
    return out;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }
}
