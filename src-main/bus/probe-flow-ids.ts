import { BoundedMap } from '../../src-shared/bounded-map';

/** Flows whose ids main keeps for export and top-flow links; beyond it the oldest mappings go (counted). */
const MAX_FLOW_IDS = 1_000_000;

/** The probe and its session that hold some flows' packets, and the flows' ids on that probe. */
export interface ExportOrigin {
  probe: string;
  session: string;
  flowIds: number[];
  error: null;
}

/**
 * Flow ids unique across probes: each probe numbers its flows per session, main needs one
 * number per flow. Global flow id ↔ (probe, probe session, probe flow id), bounded.
 */
export class ProbeFlowIds {
  private nextFlowId = 1;
  private readonly flowOrigins = new Map<number, { probe: string; session: string; flowId: number }>();
  /** The oldest mapping goes first, its origin with it. */
  private readonly flowIds = new BoundedMap<string, number>(MAX_FLOW_IDS, (_key, id) => this.flowOrigins.delete(id));

  /** Mappings forgotten to keep the bound. */
  get dropped(): number {
    return this.flowIds.evicted;
  }

  /** The global id of a probe's flow, made on first sight. */
  global(probe: string, session: string, flowId: number): number {
    const key = `${probe}\u0000${session}\u0000${flowId}`;
    let id = this.flowIds.get(key);
    if (id !== undefined) return id;
    id = this.nextFlowId++;
    this.flowIds.set(key, id);
    this.flowOrigins.set(id, { probe, session, flowId });
    return id;
  }

  /** The one probe (and its session) that holds all these flows, or why there is none. */
  exportOrigin(flowIds: readonly number[]): ExportOrigin | { error: string } {
    if (flowIds.length === 0) return { error: 'each probe keeps its own packets: select flows of one probe to export' };
    const origins = flowIds.map((id) => this.flowOrigins.get(id));
    if (origins.some((o) => o === undefined)) return { error: 'some selected flows are no longer known on the bus' };
    const known = origins as { probe: string; session: string; flowId: number }[];
    if (new Set(known.map((o) => `${o.probe}\u0000${o.session}`)).size > 1) {
      return { error: 'the selected flows were seen by different probes; export them one probe at a time' };
    }
    return { probe: known[0].probe, session: known[0].session, flowIds: known.map((o) => o.flowId), error: null };
  }
}
