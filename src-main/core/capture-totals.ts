import type { EventMap } from '../../src-capture-helper/protocol/messages';
import type { RollupTick } from '../api/types/rollups';
import type { InterfaceStats } from '../api/types/stats';
import type { ByteCount, FlowProto } from '../api/types/traffic';
import type { GeoService } from './geo/geo-service';
import { FLOW_PROTOCOLS } from '../../src-shared/protocols';

const PROTOS: readonly FlowProto[] = FLOW_PROTOCOLS;

function zeroProtocols(): Record<FlowProto, ByteCount> {
  return { tcp: { bytes: 0, packets: 0 }, udp: { bytes: 0, packets: 0 }, icmp: { bytes: 0, packets: 0 }, icmpv6: { bytes: 0, packets: 0 }, other: { bytes: 0, packets: 0 } };
}

/**
 * The API's tick of one helper rollup: flow ids qualified by their session, top hosts named
 * (`nameOf`, main's DNS names) and placed (`geo`, when the databases are loaded).
 */
export function rollupTick(r: EventMap['rollup'], session: string, nameOf: (ip: string) => string | undefined, geo: GeoService | undefined): RollupTick {
  const protocols = zeroProtocols();
  // The helper also counts network layers (ipv4, ipv6); the API splits by transport only, where every packet counts once.
  for (const p of PROTOS) {
    const c = r.byProtocol[p];
    if (c !== undefined) protocols[p] = { bytes: c.bytes, packets: c.packets };
  }
  const tick: RollupTick = {
    captureId: session,
    tsMs: r.second * 1000,
    interfaces: r.interfaces.map((i) => ({
      iface: i.iface,
      in: { bytes: i.bytesIn, packets: i.packetsIn },
      out: { bytes: i.bytesOut, packets: i.packetsOut },
      kernelDrops: i.kernelDrops,
      helperDrops: i.helperDrops,
    })),
    protocols,
    topHosts: r.topHosts.map((h) => ({
      ip: h.addr, name: h.name ?? nameOf(h.addr) ?? null, bytes: h.bytes, packets: h.packets,
      ...(geo === undefined ? {} : { geo: geo.lookup(h.addr) }),
      ...(h.probe !== undefined ? { probe: h.probe } : {}),
    })),
    topFlows: r.topFlows.map((f) => ({ flowId: `${session}:${f.flowId}`, label: f.label, bytes: f.bytes, packets: f.packets, ...(f.probe !== undefined ? { probe: f.probe } : {}) })),
    activeFlows: r.activeFlows,
    newFlows: r.newFlows,
  };
  // The helper analyses every TCP flow and leaves quality out of a second without news: zeros, not unknown.
  const q = r.quality ?? { retransmissions: 0, handshakes: 0, rttSumMs: 0, flows: [] };
  tick.quality = { ...q, flows: q.flows.map((f) => ({ ...f, flowId: `${session}:${f.flowId}` })) };
  return tick;
}

/** Totals of the current capture (for /metrics and stats); a new capture starts them from zero. */
export class CaptureTotals {
  readonly ifaceTotals = new Map<string, InterfaceStats>();
  readonly protoTotals = zeroProtocols();
  evictedFlows = 0;
  activeFlowsNow = 0;
  /** Start of the last second folded into the totals. */
  lastTickMs: number | null = null;

  /** Folds one second in. */
  add(tick: RollupTick): void {
    this.activeFlowsNow = tick.activeFlows;
    this.lastTickMs = tick.tsMs;
    for (const s of tick.interfaces) {
      let total = this.ifaceTotals.get(s.iface);
      if (total === undefined) {
        total = { iface: s.iface, in: { bytes: 0, packets: 0 }, out: { bytes: 0, packets: 0 }, kernelDrops: 0, helperDrops: 0 };
        this.ifaceTotals.set(s.iface, total);
      }
      total.in.bytes += s.in.bytes;
      total.in.packets += s.in.packets;
      total.out.bytes += s.out.bytes;
      total.out.packets += s.out.packets;
      total.kernelDrops += s.kernelDrops;
      total.helperDrops += s.helperDrops;
    }
    for (const p of PROTOS) {
      this.protoTotals[p].bytes += tick.protocols[p].bytes;
      this.protoTotals[p].packets += tick.protocols[p].packets;
    }
  }

  reset(): void {
    this.ifaceTotals.clear();
    this.lastTickMs = null;
    for (const p of PROTOS) this.protoTotals[p] = { bytes: 0, packets: 0 };
    this.evictedFlows = 0;
  }
}
