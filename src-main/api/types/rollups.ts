/** Each second of traffic as the capture rolls it up (plain JSON data: see traffic.ts). */

import type { GeoInfo } from './geo';
import type { ByteCount, FlowProto } from './traffic';

export interface InterfaceSecond {
  iface: string;
  in: ByteCount;
  out: ByteCount;
  /** Drops during that second: by the kernel (pcap_stats) and by the helper's bounded queues. */
  kernelDrops: number;
  helperDrops: number;
}

export interface HostRate {
  ip: string;
  name: string | null;
  bytes: number;
  packets: number;
  /** Country and network of the address (absent when main has no geo database). */
  geo?: GeoInfo;
  /** The probe that saw it (`serve --nats`); absent for a local capture. */
  probe?: string;
}

export interface FlowRate {
  flowId: string;
  label: string;
  bytes: number;
  packets: number;
  probe?: string;
}

/** TCP quality during one second: totals, and the flows it happened in (bounded). */
export interface QualitySecond {
  retransmissions: number;
  /** Handshakes completed, and the sum of their RTTs (both sides at the capture point), milliseconds. */
  handshakes: number;
  rttSumMs: number;
  flows: { flowId: string; retransmissions: number; rttMs: number | null }[];
}

/** One second of traffic, pushed once a second while a capture runs. */
export interface RollupTick {
  captureId: string;
  /** Start of the second. */
  tsMs: number;
  interfaces: InterfaceSecond[];
  protocols: Record<FlowProto, ByteCount>;
  /** Bounded top-K by bytes during the second. */
  topHosts: HostRate[];
  topFlows: FlowRate[];
  activeFlows: number;
  newFlows: number;
  /** Absent from sources that do not analyse TCP (older history). */
  quality?: QualitySecond;
}
