import type { FlowRow } from '../../src-capture-helper/protocol/messages';
import { BoundedMap } from '../../src-shared/bounded-map';
import type { FlowSort } from '../../src-shared/flow-query';
import { compileFlowFilter, sortFlowList } from '../../src-shared/flow-query';
import { flowStateNameOf } from '../../src-shared/flow-reader';
import type { FlowFilter, FlowSummary, RatePoint } from '../api/types/flows';
import { icmpKind } from './icmp-kind';
import type { RateSeries } from './rate-series';
import { RateSeriesStore } from './rate-series';

/** Per-flow rate points kept for the details panel (10 minutes at 1 s). */
export const FLOW_SERIES_POINTS = 600;
/** Flows with a rate series; beyond it a flow gets one only when the least recently updated flow was quiet for
 *  `SERIES_IDLE_MS` (its series goes). */
export const MAX_FLOW_SERIES = 2000;
/** A series is taken over only from a flow without a point for this long: with more flows changing every second
 *  than there are series, taking the least recently updated one would start and drop a series for every update,
 *  and no flow would keep more than one point. */
export const SERIES_IDLE_MS = 5000;
/** Addresses with a learnt name. */
export const MAX_NAMES = 50_000;
/** Query answers kept while the book does not change (a window, its count and the pages after it, the same second). */
const MAX_ANSWERS = 4;


/**
 * Maps the helper's flow row into the API's flow summary; `key` is unique across capture sessions. The optional
 * fields are added after the literal, not spread into it: a spread makes every flow's object the slow way, and
 * every update of every flow goes through here.
 */
export function flowFromRow(row: FlowRow, session: string): FlowSummary {
  const hasPorts = row.proto === 'tcp' || row.proto === 'udp';
  const flow: FlowSummary = {
    id: `${session}:${row.id}`,
    iface: row.iface,
    vlan: row.vlan < 0 ? null : row.vlan,
    proto: row.proto,
    ipProto: row.ipProto,
    a: row.a,
    aPort: hasPorts ? row.portA : null,
    b: row.b,
    bPort: hasPorts ? row.portB : null,
    // Only what the helper saw for this flow: a name learnt for an address later belongs to later flows.
    names: {
      a: row.nameA ?? null,
      b: row.nameB ?? null,
      sni: row.sni ?? null,
      httpHost: row.httpHost ?? null,
      dnsQuery: row.dnsQuery ?? null,
      name: row.name ?? null,
      source: row.nameSource ?? null,
    },
    aToB: { bytes: row.bytesAB, packets: row.packetsAB },
    bToA: { bytes: row.bytesBA, packets: row.packetsBA },
    firstSeenMs: row.firstSeen * 1000,
    lastSeenMs: row.lastSeen * 1000,
    state: flowStateNameOf(row.state),
    tcpFlags: row.tcpFlags,
    icmp: icmpKind(row.proto, row.icmpType, row.icmpCode),
    bpsAToB: 0,
    bpsBToA: 0,
    active: row.active,
  };
  if (row.probe !== undefined) flow.probe = row.probe;
  if (row.quality !== undefined) flow.quality = row.quality;
  if (row.app !== undefined) flow.app = { ...row.app };
  return flow;
}

/**
 * The active flows main knows of (kept current by the helper's 1 s flow
 * deltas), the names learnt from them, and each flow's own rate series.
 * Bounded by the flow limit of the settings: a new flow beyond it is turned
 * away (FlowSync counts the shortfall against the helper's table).
 */
export class FlowBook {
  /** Least recently updated or listed first (a catch-up refreshes a full book's flows in this order). */
  private flows = new Map<string, FlowSummary>();
  private readonly seriesStore = new RateSeriesStore(MAX_FLOW_SERIES, FLOW_SERIES_POINTS);
  /** New flows turned away for want of room since the book was made (a catch-up takes them in once room frees). */
  turnedAway = 0;
  /** Least recently updated first. */
  private readonly series = new BoundedMap<string, RateSeries>(MAX_FLOW_SERIES);
  readonly names = new Map<string, string>();
  /** Rate points not kept: the flow had no series and none was quiet long enough to give up its room. */
  droppedSeries = 0;
  droppedNames = 0;
  /** Sorted, filtered lists by query, valid until the flows change: between two deltas, every window of a list
   *  costs one sort of the book, not one each. */
  private readonly answers = new BoundedMap<string, FlowSummary[]>(MAX_ANSWERS);

  /** `place` gives a flow first seen its country and AS (main's geo lookup); a flow held keeps those it has. */
  constructor(
    private maxFlows: number,
    private readonly place: (flow: FlowSummary) => FlowSummary = (flow) => flow,
  ) {}

  setMaxFlows(maxFlows: number): void {
    this.maxFlows = maxFlows;
  }

  get size(): number {
    return this.flows.size;
  }

  /** The most flows the book holds. */
  get bound(): number {
    return this.maxFlows;
  }

  get isFull(): boolean {
    return this.flows.size >= this.maxFlows;
  }

  learnName(ip: string, name: string): void {
    if (this.names.has(ip)) {
      this.names.set(ip, name);
    } else if (this.names.size < MAX_NAMES) {
      this.names.set(ip, name);
    } else {
      this.droppedNames++;
    }
  }

  /** Applies the new state of a flow at `tsMs`, deriving its rate from the change since the previous state. */
  update(flow: FlowSummary, tsMs: number): FlowSummary {
    this.answers.clear();
    const previous = this.flows.get(flow.id);
    if (previous === undefined && this.flows.size >= this.maxFlows) return this.turnAway(flow);
    flow = this.placed(flow, previous);
    if (flow.names.a !== null) this.learnName(flow.a, flow.names.a);
    if (flow.names.b !== null) this.learnName(flow.b, flow.names.b);
    if (previous !== undefined) {
      const seconds = Math.max(1, (flow.lastSeenMs - previous.lastSeenMs) / 1000);
      flow.bpsAToB = (flow.aToB.bytes - previous.aToB.bytes) / seconds;
      flow.bpsBToA = (flow.bToA.bytes - previous.bToA.bytes) / seconds;
      this.pushPoint(flow.id, {
        tsMs,
        bpsAToB: flow.bpsAToB,
        bpsBToA: flow.bpsBToA,
        ppsAToB: (flow.aToB.packets - previous.aToB.packets) / seconds,
        ppsBToA: (flow.bToA.packets - previous.bToA.packets) / seconds,
      });
    } else {
      // The first sight of a flow holds everything it sent so far.
      const seconds = Math.max(1, (flow.lastSeenMs - flow.firstSeenMs) / 1000);
      flow.bpsAToB = flow.aToB.bytes / seconds;
      flow.bpsBToA = flow.bToA.bytes / seconds;
      this.pushPoint(flow.id, {
        tsMs,
        bpsAToB: flow.bpsAToB,
        bpsBToA: flow.bpsBToA,
        ppsAToB: flow.aToB.packets / seconds,
        ppsBToA: flow.bToA.packets / seconds,
      });
    }
    this.flows.delete(flow.id);
    this.flows.set(flow.id, flow);
    return flow;
  }

  /**
   * Takes in a flow from a full listing (a catch-up after the helper left
   * flows out of its deltas). A flow main already knows gets the listed
   * counts but keeps its rate: the listing is no second of traffic. A listed
   * state older than the one held (the listing was read before a delta that
   * main applied first) changes nothing: a flow's counts never go back.
   */
  catchUp(flow: FlowSummary): FlowSummary {
    const previous = this.flows.get(flow.id);
    if (previous === undefined && this.flows.size >= this.maxFlows) return this.turnAway(flow);
    if (previous !== undefined && isOlderState(flow, previous)) return previous;
    flow = this.placed(flow, previous);
    this.answers.clear();
    if (flow.names.a !== null) this.learnName(flow.a, flow.names.a);
    if (flow.names.b !== null) this.learnName(flow.b, flow.names.b);
    if (previous !== undefined) {
      flow.bpsAToB = previous.bpsAToB;
      flow.bpsBToA = previous.bpsBToA;
      this.flows.delete(flow.id);
    } else {
      // Its average so far; its rate series starts with its next delta.
      const seconds = Math.max(1, (flow.lastSeenMs - flow.firstSeenMs) / 1000);
      flow.bpsAToB = flow.aToB.bytes / seconds;
      flow.bpsBToA = flow.bToA.bytes / seconds;
    }
    this.flows.set(flow.id, flow);
    return flow;
  }

  private pushPoint(id: string, point: RatePoint): void {
    let ring = this.series.get(id);
    if (ring === undefined) {
      const oldest = this.series.size < MAX_FLOW_SERIES ? undefined : this.series.oldest();
      if (oldest !== undefined) {
        // The least recently updated flow gives up its series, if it was quiet long enough.
        const [oldestId, oldestSeries] = oldest;
        if (point.tsMs - (oldestSeries.lastTsMs() ?? -Infinity) < SERIES_IDLE_MS) {
          this.droppedSeries++;
          return;
        }
        this.series.delete(oldestId);
        oldestSeries.clear();
        ring = oldestSeries;
      } else {
        const fresh = this.seriesStore.create();
        // Never null: the book holds fewer series than the store has slots, and clearing the book releases its series.
        if (fresh === null) return;
        ring = fresh;
      }
    }
    this.series.setNewest(id, ring);
    ring.push(point);
  }

  /** The flow with the country and AS of both ends: those of the flow held under its id (the same addresses), or
   *  looked up for one first seen. */
  private placed(flow: FlowSummary, held: FlowSummary | undefined): FlowSummary {
    if (held?.geo === undefined) return this.place(flow);
    flow.geo = held.geo;
    return flow;
  }

  private turnAway(flow: FlowSummary): FlowSummary {
    this.turnedAway++;
    return flow;
  }

  get(id: string): FlowSummary | undefined {
    return this.flows.get(id);
  }

  seriesOf(id: string): RatePoint[] {
    return this.series.get(id)?.toArray() ?? [];
  }

  /** Removes a flow that ended and returns its last state (the final counts when given), marked inactive. Its rate
   *  series stays, bounded with the others, for the details of the ended flow. */
  end(id: string, final?: FlowSummary): FlowSummary | undefined {
    this.answers.clear();
    const held = this.flows.get(id);
    const flow = final === undefined ? held : this.placed(final, held);
    this.flows.delete(id);
    if (flow === undefined) return undefined;
    if (final !== undefined && flow.names.b !== null) this.learnName(flow.b, flow.names.b);
    return { ...flow, active: false, bpsAToB: 0, bpsBToA: 0 };
  }

  /**
   * Ends every flow (capture over): the book is empty at once, and the flows come out ended as the
   * caller reads them, so 200k of them are not copied in one turn of the event loop.
   */
  endAll(): IterableIterator<FlowSummary> {
    const ended = this.flows;
    this.flows = new Map();
    return (function* () {
      for (const flow of ended.values()) yield { ...flow, active: false, bpsAToB: 0, bpsBToA: 0 };
    })();
  }

  /** The active flows, in no particular order. A caller may change them (their country and AS): the answers kept
   *  are dropped. */
  activeFlows(): IterableIterator<FlowSummary> {
    this.answers.clear();
    return this.flows.values();
  }

  /** The flows matching the filter, in the sort's order (src-shared/flow-query.ts, as the history sorts its log).
   *  The same query before the flows change gets the same array: callers read it, never change it. */
  query(filter: FlowFilter, sort: FlowSort): FlowSummary[] {
    const key = JSON.stringify([filter, sort]);
    const kept = this.answers.get(key);
    if (kept !== undefined) return kept;
    const { matches } = compileFlowFilter(filter);
    const found: FlowSummary[] = [];
    for (const f of this.flows.values()) if (matches(f)) found.push(f);
    const sorted = sortFlowList(found, sort);
    this.answers.set(key, sorted);
    return sorted;
  }

  clear(): void {
    this.answers.clear();
    this.flows.clear();
    for (const ring of this.series.values()) this.seriesStore.release(ring);
    this.series.clear();
  }
}

/** Whether `listed` is an earlier state of the flow than `held` (its counts only grow, its last sight only moves on). */
function isOlderState(listed: FlowSummary, held: FlowSummary): boolean {
  const packets = (f: FlowSummary): number => f.aToB.packets + f.bToA.packets;
  return listed.lastSeenMs < held.lastSeenMs || packets(listed) < packets(held);
}
