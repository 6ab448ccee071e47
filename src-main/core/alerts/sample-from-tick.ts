import type { FlowSummary } from '../../api/types/flows';
import type { RollupTick } from '../../api/types/rollups';
import { FLOW_PROTOCOLS } from '../../../src-shared/protocols';
import type { AlertFlowRate, AlertHostRate, AlertProtocolCounters, AlertQualityFlow, AlertSample } from './alert-sample';

export interface TickAdapterContext {
  /** The flow book's entry for a flow id of the tick; a flow it no longer knows is left out. */
  flow(id: string): FlowSummary | undefined;
  /** Addresses of the capturing host (live capture); empty for a file. */
  localAddresses?: ReadonlySet<string>;
}

/**
 * Main's 1 s rollup tick as an alert sample. Interfaces carry direction; the
 * rollup's protocols, top hosts and top flows count sent plus received, so
 * they become totals (exact for `both` rules; `in`/`out` rules on those
 * scopes skip the second rather than guess).
 */
export function alertSampleFromTick(tick: RollupTick, context: TickAdapterContext): AlertSample {
  const local = context.localAddresses ?? new Set<string>();
  const protocols: AlertProtocolCounters[] = FLOW_PROTOCOLS.map((protocol) => ({
    protocol,
    bytes: tick.protocols[protocol]?.bytes ?? 0,
    packets: tick.protocols[protocol]?.packets ?? 0,
  }));
  const hosts: AlertHostRate[] = tick.topHosts.map((h) => {
    const host: AlertHostRate = { address: h.ip, bytes: h.bytes, packets: h.packets };
    if (h.name !== null) host.name = h.name;
    if (h.geo?.country != null) host.country = h.geo.country;
    if (h.geo?.asn != null) host.asn = h.geo.asn;
    return host;
  });
  const flows: AlertFlowRate[] = [];
  for (const rate of tick.topFlows) {
    const summary = context.flow(rate.flowId);
    if (summary === undefined) continue;
    const flow: AlertFlowRate = {
      protocol: summary.proto,
      ...endpoints(summary, local),
      isNew: summary.firstSeenMs >= tick.tsMs,
      bytes: rate.bytes,
      packets: rate.packets,
    };
    flows.push(flow);
  }
  const sample: AlertSample = {
    ts: tick.tsMs,
    activeFlows: tick.activeFlows,
    newFlows: tick.newFlows,
    interfaces: tick.interfaces.map((i) => ({
      name: i.iface,
      bytesIn: i.in.bytes,
      packetsIn: i.in.packets,
      bytesOut: i.out.bytes,
      packetsOut: i.out.packets,
      drops: i.kernelDrops + i.helperDrops,
    })),
    protocols,
    hosts,
    flows,
  };
  if (tick.quality !== undefined) {
    const q = tick.quality;
    const qualityFlows: AlertQualityFlow[] = [];
    for (const f of q.flows) {
      const summary = context.flow(f.flowId);
      if (summary !== undefined) qualityFlows.push({ ...endpoints(summary, local), retransmissions: f.retransmissions, rttMs: f.rttMs });
    }
    sample.quality = { retransmissions: q.retransmissions, handshakes: q.handshakes, rttSumMs: q.rttSumMs, flows: qualityFlows };
  }
  return sample;
}

type Endpoints = Pick<AlertFlowRate, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'interface' | 'name' | 'remoteCountry' | 'remoteAsn' | 'application'>;

/** A flow's endpoints, local first by the helper's direction rule: a local address is this side; otherwise the initiator (A) is. */
function endpoints(summary: FlowSummary, local: ReadonlySet<string>): Endpoints {
  const bIsLocal = local.has(summary.b) && !local.has(summary.a);
  const [localAddress, localPort, remoteAddress, remotePort] = bIsLocal
    ? [summary.b, summary.bPort, summary.a, summary.aPort]
    : [summary.a, summary.aPort, summary.b, summary.bPort];
  const remoteName = bIsLocal ? summary.names.a : summary.names.b;
  const name = summary.names.sni ?? summary.names.httpHost ?? remoteName;
  const out: Endpoints = { localAddress, localPort: localPort ?? 0, remoteAddress, remotePort: remotePort ?? 0, interface: summary.iface };
  if (name !== null) out.name = name;
  const remoteGeo = bIsLocal ? summary.geo?.a : summary.geo?.b;
  if (remoteGeo?.country != null) out.remoteCountry = remoteGeo.country;
  if (remoteGeo?.asn != null) out.remoteAsn = remoteGeo.asn;
  if (summary.app !== undefined) out.application = summary.app.label;
  return out;
}
