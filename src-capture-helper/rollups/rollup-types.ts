/**
 * What the rollups publish once a second. Shaped like the protocol's
 * `rollup` event (field for field) so the socket server sends it as is.
 */

import { FLOW_PROTOCOLS } from '../../src-shared/protocols';

/** Counted per IP version, then per transport protocol of a flow. */
export const rollupProtocols = ['ipv4', 'ipv6', ...FLOW_PROTOCOLS] as const;
export type RollupProtocol = (typeof rollupProtocols)[number];

export interface TrafficCount {
  packets: number;
  bytes: number;
}

export interface InterfaceRollup {
  iface: string;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Drops during the period, by the kernel (pcap_stats) and by the helper's bounded queues. */
  kernelDrops: number;
  helperDrops: number;
}

export interface HostRollup {
  addr: string;
  /** Sent plus received. */
  packets: number;
  bytes: number;
}

export interface FlowRollup {
  flowId: number;
  packets: number;
  bytes: number;
}

export interface RollupSnapshot {
  /** Unix second covered: packet time for files, wall clock live. */
  second: number;
  packets: number;
  bytes: number;
  interfaces: InterfaceRollup[];
  /**
   * Per protocol, classified like tshark's `frame.protocols`: ipv4/ipv6 by the
   * outermost network layer, tcp/udp/icmp/icmpv6 by what that header carries,
   * `other` for every packet with none of the four (so tcp+udp+icmp+icmpv6+other = packets).
   */
  byProtocol: Record<RollupProtocol, TrafficCount>;
  /** Largest by bytes, at most topK. */
  topHosts: HostRollup[];
  topFlows: FlowRollup[];
}

/** Sums over the last N seconds (10 s, 60 s windows). */
export interface RollupWindow extends RollupSnapshot {
  /** Seconds summed (fewer than asked at the start of a capture). */
  seconds: number;
  /** First second of the window; `second` is the last. */
  fromSecond: number;
  /**
   * Top lists of a window merge the per-second top lists, so a host or flow can
   * miss at most this many bytes: the sum over the seconds of the largest value
   * left out of that second's list (0 = exact).
   */
  topHostsMaxErrorBytes: number;
  topFlowsMaxErrorBytes: number;
}
