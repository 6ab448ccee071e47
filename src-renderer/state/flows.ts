import type { FlowDelta, FlowSummary } from '../transport/api-types';

/** The most flows the renderer keeps. The engine's own table is bounded too; this bounds the window's memory. */
export const MAX_FLOWS = 200_000;

export interface FlowTable {
  flows: ReadonlyMap<string, FlowSummary>;
  /** Flows let go because the table was full (ended flows go first, then the longest idle). */
  dropped: number;
  /** Changed flows main left out of its deltas (the table catches up with a full query). */
  omitted: number;
  /** Capture the flows belong to: deltas of another capture are stale and ignored. */
  captureId: string | null;
}

export const EMPTY_FLOW_TABLE: FlowTable = { flows: new Map(), dropped: 0, omitted: 0, captureId: null };

/** Removes the flows that matter least once the table overflows: ended flows first, then the longest idle. It
 *  frees 5% more than needed so a full table is not re-sorted on every delta. */
function evict(flows: Map<string, FlowSummary>, cap: number): number {
  if (flows.size <= cap) return 0;
  const excess = flows.size - Math.floor(cap * 0.95);
  const order = [...flows.values()].sort(
    (x, y) => Number(x.active) - Number(y.active) || x.lastSeenMs - y.lastSeenMs,
  );
  for (let i = 0; i < excess; i++) flows.delete(order[i].id);
  return excess;
}

/** Applies one delta from main: a new Map per update, so selectors see the change and old snapshots stay intact.
 *  Finished flows stay in the table (marked inactive) so a short connection can still be found after it closed. */
export function applyFlowDelta(table: FlowTable, delta: FlowDelta, cap = MAX_FLOWS): FlowTable {
  if (table.captureId !== null && delta.captureId !== table.captureId) return table;
  const flows = new Map(table.flows);
  for (const f of delta.updated) flows.set(f.id, f);
  for (const f of delta.finished) flows.set(f.id, { ...f, active: false });
  const dropped = table.dropped + evict(flows, cap);
  return { flows, dropped, omitted: table.omitted + delta.omitted, captureId: delta.captureId };
}

/** Replaces the table with a full listing (first load, a new capture, or a catch-up after omitted deltas). */
export function replaceFlows(captureId: string | null, list: readonly FlowSummary[], cap = MAX_FLOWS): FlowTable {
  const flows = new Map<string, FlowSummary>();
  for (const f of list) flows.set(f.id, f);
  const dropped = evict(flows, cap);
  return { flows, dropped, omitted: 0, captureId };
}

/** Every flow ended (the capture stopped): kept for reading, marked inactive, no rate. */
export function endAllFlows(table: FlowTable): FlowTable {
  const flows = new Map<string, FlowSummary>();
  for (const [id, f] of table.flows) flows.set(id, f.active || f.bpsAToB !== 0 || f.bpsBToA !== 0 ? { ...f, active: false, bpsAToB: 0, bpsBToA: 0 } : f);
  return { ...table, flows };
}
