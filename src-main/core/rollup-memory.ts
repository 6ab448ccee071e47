import { BoundedMap } from '../../src-shared/bounded-map';
import type { RollupTick } from '../api/types/rollups';
import type { CounterPoint, CounterQuery } from '../api/types/stats';
import { addInto, bucketise, emptyPoint, pointOfSecond } from './counter-series';
import { Ring } from './ring';

/** One hour of 1 s history. */
export const MEMORY_SECONDS = 3600;
/** Bound on the interfaces tracked; seconds of further interfaces are counted in `droppedInterfaceSeconds`. */
export const MAX_INTERFACES = 64;
/** Texts of the top lists (flow ids, labels, addresses, names) shared between the seconds that repeat them. */
const SHARED_TEXTS = 50_000;

/** The last 60 minutes of 1 s rollups: per interface for counters, whole ticks for charts opening late. */
export class RollupMemory {
  private readonly perInterface = new Map<string, Ring<CounterPoint>>();
  private readonly ticks = new Ring<RollupTick>(MEMORY_SECONDS);
  private readonly texts = new BoundedMap<string, string>(SHARED_TEXTS);
  droppedInterfaceSeconds = 0;

  /** Keeps the second (its top lists' texts swapped for equal ones kept before: each second arrives with copies of
   *  its own, and a busy hour holds the same flows' texts thousands of times). */
  add(tick: RollupTick): void {
    for (const f of tick.topFlows) {
      f.flowId = this.shared(f.flowId);
      f.label = this.shared(f.label);
    }
    for (const h of tick.topHosts) {
      h.ip = this.shared(h.ip);
      if (h.name !== null) h.name = this.shared(h.name);
    }
    this.ticks.push(tick);
    for (const second of tick.interfaces) {
      let ring = this.perInterface.get(second.iface);
      if (ring === undefined) {
        if (this.perInterface.size >= MAX_INTERFACES) {
          this.droppedInterfaceSeconds++;
          continue;
        }
        ring = new Ring<CounterPoint>(MEMORY_SECONDS);
        this.perInterface.set(second.iface, ring);
      }
      ring.push(pointOfSecond(tick.tsMs, second));
    }
  }

  private shared(text: string): string {
    const kept = this.texts.get(text);
    if (kept !== undefined) return kept;
    this.texts.set(text, text);
    return text;
  }

  recent(seconds: number): RollupTick[] {
    return this.ticks.tail(seconds);
  }

  /** Oldest second still held, or null when empty. */
  oldestMs(): number | null {
    return this.ticks.tail(this.ticks.size)[0]?.tsMs ?? null;
  }

  interfaces(): string[] {
    return [...this.perInterface.keys()];
  }

  /** Per-second points of one interface, or of all summed. */
  points(iface: string | undefined): CounterPoint[] {
    if (iface !== undefined) return this.perInterface.get(iface)?.toArray() ?? [];
    const bySecond = new Map<number, CounterPoint>();
    for (const ring of this.perInterface.values()) {
      for (const p of ring.toArray()) {
        let sum = bySecond.get(p.tsMs);
        if (sum === undefined) bySecond.set(p.tsMs, (sum = emptyPoint(p.tsMs)));
        addInto(sum, p);
      }
    }
    return [...bySecond.values()].sort((x, y) => x.tsMs - y.tsMs);
  }

  series(q: CounterQuery): CounterPoint[] {
    return bucketise(this.points(q.iface), q);
  }

  clear(): void {
    this.perInterface.clear();
    this.ticks.clear();
    this.texts.clear();
  }
}
