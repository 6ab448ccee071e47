import type { FlowProtocol } from '../../../src-shared/protocols';
/**
 * One second of traffic as the alert engine sees it. Main adapts the helper's
 * 1 s rollup into this shape; the engine knows nothing of the wire protocol.
 *
 * Direction is always seen from the monitored interface: `in` is traffic that
 * arrived on it (download), `out` is traffic it sent (upload). For a host or a
 * flow, `bytesIn` is that host's or flow's share of the incoming traffic.
 * Counters cover exactly this second, so bytes * 8 is the bit rate.
 */
export interface DirectionalCounters {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
}

/**
 * What a source gives when it cannot tell direction (the helper's top hosts
 * count sent plus received). Rules with direction `both` measure these
 * exactly; `in`/`out` rules skip such seconds instead of guessing.
 */
export interface TotalCounters {
  bytes: number;
  packets: number;
}

export type TrafficCounters = DirectionalCounters | TotalCounters;

export interface AlertInterfaceCounters extends DirectionalCounters {
  name: string;
  /** Flows open at the end of the second on this interface, when the source counts them per interface. */
  activeFlows?: number;
  /** Flows first seen during the second on this interface, when counted per interface. */
  newFlows?: number;
  /** Packets lost during the second (kernel and helper drops together). */
  drops: number;
}

export type AlertProtocolCounters = TrafficCounters & {
  protocol: FlowProtocol;
  activeFlows?: number;
  newFlows?: number;
};

/** A top talker by host. The helper sends a bounded top-K, so scopes built on hosts are lower bounds. */
export type AlertHostRate = TrafficCounters & {
  address: string;
  /** Name learned on the wire (DNS answer, SNI), if any. */
  name?: string;
  /** Set when the helper attributes the host to one interface. */
  interface?: string;
  /** Where the address is registered (main's geo databases), when known. */
  country?: string;
  asn?: number;
  activeFlows?: number;
  newFlows?: number;
};

/** A top flow, local endpoint first. */
export type AlertFlowRate = TrafficCounters & {
  protocol: FlowProtocol;
  /** The endpoint on this side (a local address, else the flow's initiator, as the helper decides direction). */
  localAddress: string;
  /** 0 for protocols without ports. */
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  name?: string;
  interface?: string;
  /** Where the remote address is registered, when known. */
  remoteCountry?: string;
  remoteAsn?: number;
  /** The label of the local process owning the flow's socket (`curl`, `system (user 0)`), when attributed. */
  application?: string;
  /** First seen during this second. */
  isNew: boolean;
};

/** A TCP flow with quality news during the second, its endpoints as in AlertFlowRate. */
export type AlertQualityFlow = Pick<AlertFlowRate, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'name' | 'interface' | 'remoteCountry' | 'remoteAsn' | 'application'> & {
  /** Retransmissions during the second. */
  retransmissions: number;
  /** Handshake RTT (both sides at the capture point) when the handshake completed during the second. */
  rttMs: number | null;
};

/** TCP quality during the second: exact totals, and the flows it happened in (bounded by the helper). */
export interface AlertQualitySample {
  retransmissions: number;
  handshakes: number;
  rttSumMs: number;
  flows: AlertQualityFlow[];
}

/**
 * Flow counts are optional on the parts: a rule on a flow metric skips the
 * seconds where its scope's count is absent instead of reading it as zero.
 */
export interface AlertSample {
  /** Start of the second covered, milliseconds since the epoch. */
  ts: number;
  /** Flows open at the end of the second, all interfaces. */
  activeFlows: number;
  /** Flows first seen during the second, all interfaces. */
  newFlows: number;
  interfaces: AlertInterfaceCounters[];
  protocols: AlertProtocolCounters[];
  hosts: AlertHostRate[];
  flows: AlertFlowRate[];
  /** Absent when the source does not analyse TCP: rtt and retransmission rules then skip the second. */
  quality?: AlertQualitySample;
}
