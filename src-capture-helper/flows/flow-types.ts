/** Public types of the flow table: states, configuration, finished-flow records. */
import type { FlowProtocol } from '../../src-shared/protocols';

/** Lifecycle of a flow. Non-TCP flows stay `active`. */
export const FlowState = {
  active: 0,
  /** SYN seen from the initiator, no answer yet. */
  syn: 1,
  /** SYN-ACK seen from the responder. */
  synAck: 2,
  established: 3,
  /** A FIN seen from one side. */
  fin: 4,
  /** FIN seen from both sides. */
  closed: 5,
  /** RST seen. */
  rst: 6,
} as const;
export type FlowState = (typeof FlowState)[keyof typeof FlowState];

export const flowStateNames = ['active', 'syn', 'synAck', 'established', 'fin', 'closed', 'rst'] as const;
export type FlowStateName = (typeof flowStateNames)[number];

export function flowStateName(state: number): FlowStateName {
  return flowStateNames[state] ?? 'active';
}

/** Flow ids are `generation * FLOW_SLOT_SPACE + slot`: the slot indexes per-flow arrays kept beside the table. */
export const FLOW_SLOT_SPACE = 1 << 24;

export function protoName(ipProto: number): FlowProtocol {
  switch (ipProto) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
      return 'icmp';
    case 58:
      return 'icmpv6';
    default:
      return 'other';
  }
}

/** Why a flow left the table. */
export type FinishReason =
  /** No packet within the protocol's idle timeout (or the closed-flow linger time). */
  | 'idle'
  /** The table was full and this was the least recently seen flow. */
  | 'capacity'
  /** Its 4-tuple was reused by a new connection (a new SYN after a close, or a SYN with another ISN). */
  | 'reused'
  /** `flush()` at the end of a capture. */
  | 'flush';

/** Idle timeouts in seconds, per protocol. */
export interface FlowTimeouts {
  tcp: number;
  udp: number;
  icmp: number;
  other: number;
  /** How long a TCP flow stays after FIN from both sides or RST, to collect the last ACKs and retransmissions. */
  tcpClosed: number;
}

export const defaultFlowTimeouts: FlowTimeouts = { tcp: 120, udp: 30, icmp: 10, other: 60, tcpClosed: 5 };

/** Per-flow names, stored as ids into a string table owned by the caller. */
export const FlowLabel = { dnsName: 0, sni: 1, httpHost: 2, httpPath: 3 } as const;
export type FlowLabel = (typeof FlowLabel)[keyof typeof FlowLabel];
export const FLOW_LABEL_KINDS = 4;

export interface FlowTableConfig {
  /** Hard cap on active flows; beyond it the least recently seen flow is evicted. Max 16,777,216. */
  maxFlows: number;
  /** Slots allocated up front; the arrays double as needed up to maxFlows. */
  initialCapacity?: number;
  timeouts?: Partial<FlowTimeouts>;
  /**
   * 'packet': time advances with packet timestamps and idle flows expire as packets arrive (files).
   * 'external': the caller drives time with `advanceTime()` (live capture, wall clock).
   */
  clock?: 'packet' | 'external';
  /** Count ICMP errors in the flow of the packet they quote, as Suricata does (default true). */
  icmpErrorsToQuotedFlow?: boolean;
  /** Called for every flow that leaves the table, before its slot is reused. */
  onFinish?: (flow: FlowSnapshot, reason: FinishReason) => void;
}

/** A copy of one flow's fields, made for finished flows and query pages (never per packet). */
export interface FlowSnapshot {
  id: number;
  ipProto: number;
  proto: FlowProtocol;
  /** Initiator address and port (source of the first packet seen). */
  a: string;
  portA: number;
  b: string;
  portB: number;
  /** 802.1Q VLAN id, -1 without tag. */
  vlan: number;
  /** Interface index of the first packet. */
  ifIndex: number;
  /** ICMP type family the flow is keyed on (echo, timestamp...), 0 for other protocols. */
  icmpFamily: number;
  /** ICMP/ICMPv6 type and code of the flow's first message; -1 for other protocols. */
  icmpType: number;
  icmpCode: number;
  packetsAB: number;
  bytesAB: number;
  packetsBA: number;
  bytesBA: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  state: FlowStateName;
  /** TCP flags seen from A and from B (ORed). */
  tcpFlagsA: number;
  tcpFlagsB: number;
  /** String ids per FlowLabel kind, -1 when unset. */
  labels: number[];
}
