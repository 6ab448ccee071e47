/** Counter series over the history, and the current capture's totals (plain JSON data: see traffic.ts). */

import type { CaptureStatus } from './capture';
import type { ByteCount, FlowProto } from './traffic';

export interface CounterQuery {
  fromMs: number;
  toMs: number;
  /** Seconds per point; the server picks the 1 s, 1 min or 1 h store that serves it and sums into the step. */
  stepSec: number;
  /** All interfaces when absent. */
  iface?: string;
}

export interface CounterPoint {
  tsMs: number;
  in: ByteCount;
  out: ByteCount;
  kernelDrops: number;
  helperDrops: number;
}

export interface CounterSeries {
  iface: string | null;
  stepSec: number;
  /** Resolution of the store the points were computed from. */
  sourceStepSec: 1 | 60 | 3600;
  points: CounterPoint[];
}

export interface InterfaceStats {
  iface: string;
  in: ByteCount;
  out: ByteCount;
  kernelDrops: number;
  helperDrops: number;
}

export interface Stats {
  uptimeSec: number;
  capture: CaptureStatus;
  /** Start of the last second the totals include (the `tsMs` of its tick), null before the first: lets a view
   *  show totals and per-second rates of the same second. */
  lastTickMs?: number | null;
  interfaces: InterfaceStats[];
  protocols: Record<FlowProto, ByteCount>;
  activeFlows: number;
  finishedFlows: number;
  /** Flows evicted from the helper's full table. */
  evictedFlows: number;
  /** The running capture's active flows beyond main's flow book (its bound in the settings): counted in the
   *  totals and charts, but listed nowhere until they end or room frees up. */
  flowsBeyondBook: number;
  /** What main's own bounded buffers dropped, by buffer name; each only grows. `flowBook` counts the flows whose
   *  last state never reached the history: the active flows beyond the book's bound when their capture ended. */
  mainDrops: Record<string, number>;
}
